import { endpoint } from '../endpoint.js';

/** `GET /health`: up as long as the process answers, never cached (as upstream). */
export const healthEndpoint = endpoint({
  handler: async (_req, reply) =>
    reply
      .header('cache-control', 'no-cache')
      .header('pragma', 'no-cache')
      .header('expires', 'Thu, 01 Jan 1970 00:00:00 GMT')
      .send({ status: 'up' }),
});
