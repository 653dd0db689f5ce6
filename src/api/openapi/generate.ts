import { Type } from '@sinclair/typebox';
import type { ResponseDoc, RouteDoc } from '../endpoint.js';
import { ClosingBody, ErrorBody } from '../schemas/errors.js';
import type { RouteRecord } from './collect.js';
import { GROUPS, SECURITY_SCHEMES } from './groups.js';
import { plainSchema, sortKeys } from './json-schema.js';

export type DocumentKind = 'lapi' | 'admin';

type Json = Record<string, unknown>;

const INFO: Record<DocumentKind, { title: string; description: string }> = {
  lapi: {
    title: 'Lapis Local API',
    description:
      "The CrowdSec-compatible Local API, generated from the routes Lapis registers. Every operation lists the statuses it can send: its own, its credential's refusals and the ones any route may send. Not operations: an unknown path is a 404 with an empty body, a known path with another method a 405 with an `Allow` header (gin's answers). `GET /v1/decisions` may be answered before routing by the query fast path (same bytes, headers and statuses as the route). A request's `X-Request-Id`, when sent, is echoed on the response.",
  },
  admin: {
    title: 'Lapis admin API',
    description:
      "The admin listener (api.admin.listen_uri): allowlists, blocklists and integrations, behind an admin key; the integrations' own pulls; and these documents. Generated from the routes Lapis registers. Not operations: an unknown path is a 404 with an empty body, a known path with another method a 405 with an `Allow` header. A request's `X-Request-Id`, when sent, is echoed on the response.",
  },
};

/** Methods whose requests may carry a body: the body parser (api/body.ts) runs for them. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Fastify's `/v1/alerts/:alert_id` → OpenAPI's `/v1/alerts/{alert_id}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

function pathParams(url: string): string[] {
  return [...url.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
}

/**
 * The statuses every route may send whatever it does, as the shared layers send them: the error handler
 * (api/errors.ts: a parameter holding NUL, a value that does not parse, anything unexpected), the body
 * parser (api/body.ts), Fastify closing, and gin's trailing-slash answers (api/fallbacks.ts).
 */
function sharedResponses(route: RouteRecord, all: RouteRecord[]): Record<number, ResponseDoc> {
  const out: Record<number, ResponseDoc> = {
    400: { description: 'A parameter is malformed, or holds a NUL character.', schema: ErrorBody },
    500: {
      description: 'An unexpected failure: `{"message":"internal server error"}` (details are logged, never sent).',
      schema: ErrorBody,
    },
    503: {
      description: 'The server is shutting down.',
      schema: Type.Union([ErrorBody, ClosingBody]),
    },
  };
  if (BODY_METHODS.has(route.method)) {
    out[400] = { description: 'The body is not readable JSON (or a parameter is malformed, or holds a NUL character).', schema: ErrorBody };
    out[413] = {
      description: 'The body is larger than the cap, after decompression: `{"message":"http: request body too large"}`.',
      schema: ErrorBody,
    };
    out[503] = {
      description: 'The server is shutting down, or too many request bodies are being read at once (retry later).',
      schema: Type.Union([ErrorBody, ClosingBody]),
    };
  }
  // `/v1/alerts/` reaches `/v1/alerts/:alert_id` with an empty id: gin redirects to the path without the slash when
  // that path takes the method, else answers 404 with an empty body
  const last = /\/:[A-Za-z_][A-Za-z0-9_]*$/.exec(route.url);
  if (last) {
    const trimmed = route.url.slice(0, last.index);
    if (all.some((r) => r.url === trimmed && r.method === route.method)) {
      const status = route.method === 'GET' ? 301 : 307;
      out[status] = {
        description: `The last path parameter is empty (a trailing slash): redirected to \`${openApiPath(trimmed)}\`.`,
        headers: { Location: { description: 'The path without the trailing slash, with the query.', schema: Type.String() } },
      };
    } else out[404] = { description: 'The last path parameter is empty (a trailing slash): an empty body.' };
  }
  return out;
}

/** Two descriptions of one status (the route's, then a shared layer's) as one. */
function merge(a: ResponseDoc | undefined, b: ResponseDoc): ResponseDoc {
  if (!a) return b;
  const same = a.schema && b.schema && JSON.stringify(plainSchema(a.schema)) === JSON.stringify(plainSchema(b.schema));
  const schema = !a.schema ? b.schema : !b.schema || same ? a.schema : Type.Union([a.schema, b.schema]);
  const sameType = (a.contentType ?? 'application/json') === (b.contentType ?? 'application/json');
  return {
    description: a.description === b.description ? a.description : `${a.description} Also: ${b.description}`,
    ...(schema ? { schema } : {}),
    ...(a.contentType && sameType ? { contentType: a.contentType } : !a.schema && b.contentType ? { contentType: b.contentType } : {}),
    ...(a.headers || b.headers ? { headers: { ...b.headers, ...a.headers } } : {}),
  };
}

function responseObject(r: ResponseDoc): Json {
  const out: Json = { description: r.description };
  if (r.schema) out.content = { [r.contentType ?? 'application/json']: { schema: plainSchema(r.schema) } };
  if (r.headers) {
    out.headers = Object.fromEntries(
      Object.entries(r.headers).map(([name, h]) => [name, { description: h.description, schema: plainSchema(h.schema) }]),
    );
  }
  return out;
}

function operationId(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((s) => s !== '' && s !== 'v1')
    .map((s) => (s.startsWith(':') ? `by_${s.slice(1)}` : s.replace(/[^A-Za-z0-9]+/g, '_')));
  return [method.toLowerCase(), ...words].join('_');
}

function tagOf(url: string): string {
  const parts = url.split('/').filter((s) => s !== '' && s !== 'v1');
  return parts[0] ?? 'misc';
}

/** Every response of one operation: the route's own, its group's refusals, then the shared statuses. */
export function operationResponses(route: RouteRecord, all: RouteRecord[]): Record<string, ResponseDoc> {
  const doc: RouteDoc | undefined = route.doc;
  const out: Record<string, ResponseDoc> = {};
  for (const [status, r] of Object.entries(doc?.responses ?? {})) out[status] = r;
  const refusals = GROUPS[route.auth ?? 'none'].refusals;
  const except = new Set((doc?.sharedExcept ?? []).map(String));
  const shared = Object.entries(sharedResponses(route, all)).filter(([status]) => !except.has(status));
  for (const [status, r] of [...Object.entries(refusals), ...shared]) {
    out[status] = merge(out[status], r);
  }
  return out;
}

function operation(route: RouteRecord, all: RouteRecord[]): Json {
  const doc = route.doc;
  const group = GROUPS[route.auth ?? 'none'];
  const parameters: Json[] = pathParams(route.url).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  if (doc?.query) {
    const required = new Set(doc.query.required ?? []);
    for (const [name, schema] of Object.entries(doc.query.properties)) {
      const plain = plainSchema(schema);
      const { description, ...rest } = plain;
      parameters.push({ name, in: 'query', required: required.has(name), ...(description ? { description } : {}), schema: rest });
    }
  }
  const op: Json = {
    operationId: operationId(route.method, route.url),
    summary: doc?.summary ?? 'Undocumented route',
    tags: [tagOf(route.url)],
    security: group.security,
    responses: Object.fromEntries(Object.entries(operationResponses(route, all)).map(([s, r]) => [s, responseObject(r)])),
  };
  if (doc?.description) op.description = doc.description;
  if (!doc) op['x-undocumented'] = true;
  if (parameters.length > 0) op.parameters = parameters;
  if (doc?.body) {
    op.requestBody = {
      required: doc.body.required ?? true,
      ...(doc.body.description ? { description: doc.body.description } : {}),
      content: { [doc.body.contentType ?? 'application/json']: { schema: plainSchema(doc.body.schema) } },
    };
  }
  return op;
}

/**
 * The OpenAPI 3.1 document of one listener's routes (`routes`: what collectRoutes saw registered). Pure:
 * the same routes give the same bytes (keys sorted, no timestamps).
 */
export function openApiDocument(kind: DocumentKind, routes: RouteRecord[], version: string): Json {
  const paths: Record<string, Json> = {};
  const schemes = new Set<string>();
  for (const route of routes) {
    const path = openApiPath(route.url);
    const item = (paths[path] ??= {});
    item[route.method.toLowerCase()] = operation(route, routes);
    for (const s of GROUPS[route.auth ?? 'none'].security) for (const name of Object.keys(s)) schemes.add(name);
  }
  return sortKeys({
    openapi: '3.1.0',
    info: { title: INFO[kind].title, description: INFO[kind].description, version, license: { name: 'MIT', identifier: 'MIT' } },
    paths,
    components: { securitySchemes: Object.fromEntries([...schemes].map((s) => [s, SECURITY_SCHEMES[s]])) },
  });
}
