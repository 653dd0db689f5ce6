import { Type } from '@sinclair/typebox';
import { endpoint } from '../endpoint.js';

/** `GET /health`: up as long as the process answers, never cached (as upstream). */
export const healthEndpoint = endpoint({
  doc: {
    summary: 'Whether the server answers',
    responses: {
      200: {
        description: 'Up: `{"status":"up"}`, never cached.',
        schema: Type.Object({ status: Type.Literal('up') }, { additionalProperties: false }),
        headers: { 'Cache-Control': { description: '`no-cache`', schema: Type.String() } },
      },
    },
  },
  handler: async (_req, reply) =>
    reply
      .header('cache-control', 'no-cache')
      .header('pragma', 'no-cache')
      .header('expires', 'Thu, 01 Jan 1970 00:00:00 GMT')
      .send({ status: 'up' }),
});
