import { Type } from '@sinclair/typebox';
import { BadRequestError } from '../../errors.js';
import { lapisVersion } from '../../version.js';
import { endpoint, QueryMap } from '../endpoint.js';
import { ErrorBody } from '../schemas/errors.js';
import type { RouteRecord } from './collect.js';
import { type DocumentKind, openApiDocument } from './generate.js';
import { documentText } from './json-schema.js';

/** Where each document's routes come from: the Local API's (another app), the admin listener's own. */
export interface DocumentSources {
  lapi: () => Promise<RouteRecord[]>;
  admin: () => RouteRecord[];
}

/** The document's text for a kind of listener: what `lapis openapi` prints and `/openapi.json` serves. */
export function openApiText(kind: DocumentKind, routes: RouteRecord[]): string {
  return documentText(openApiDocument(kind, routes, lapisVersion()));
}

/**
 * `GET /openapi.json[?api=admin]` on the admin listener. No credential: the documents describe routes, schemas
 * and how to authenticate, as the source code and these docs do; they hold no key, no data and nothing that
 * depends on the configuration. Built once (the routes do not change while the process runs).
 */
export function openApiEndpoint(sources: DocumentSources) {
  const texts = new Map<DocumentKind, Promise<string>>();
  const textOf = (kind: DocumentKind) => {
    let t = texts.get(kind);
    if (!t) {
      t = kind === 'admin' ? Promise.resolve(openApiText('admin', sources.admin())) : sources.lapi().then((r) => openApiText('lapi', r));
      // a failure is not remembered: the next request tries again
      t.catch(() => texts.delete(kind));
      texts.set(kind, t);
    }
    return t;
  };
  return endpoint({
    schema: { querystring: QueryMap },
    doc: {
      summary: 'The OpenAPI 3.1 document of the Local API, or of the admin API',
      query: Type.Object({
        api: Type.Optional(Type.Literal('admin', { description: "`admin`: the admin API's document; absent: the Local API's." })),
      }),
      responses: {
        200: { description: 'The document (OpenAPI 3.1.0), keys sorted.', schema: Type.Object({ openapi: Type.Literal('3.1.0') }) },
        400: { description: '`api` is neither absent nor `admin`.', schema: ErrorBody },
      },
    },
    handler: async (req, reply) => {
      const api = [req.query.api].flat().at(-1);
      if (api !== undefined && api !== 'admin') throw new BadRequestError(`api: must be 'admin' or absent, got '${api}'`);
      const text = await textOf(api === 'admin' ? 'admin' : 'lapi');
      return reply.type('application/json; charset=utf-8').send(text);
    },
  });
}
