import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type TObject, type TSchema, type TString, Type } from '@sinclair/typebox';
import type { FastifySchema, FastifySchemaCompiler, RawServerDefault, RouteGenericInterface, RouteOptions } from 'fastify';

/** A query string as Fastify's parser gives it: each value a string, or a list when the key repeats. */
export const QueryMap = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]));

/** Path parameters, strings as the router gives them. */
export function Params<K extends string>(...names: K[]) {
  return Type.Object(Object.fromEntries(names.map((n) => [n, Type.String()])) as Record<K, TString>);
}

/**
 * Route schemas here only type `req.query` and `req.params` (through the TypeBox provider): they describe what
 * Fastify's own parsers always produce, so nothing is checked per request and the bouncer path pays nothing.
 * Bodies are decoded by parseBody (go-openapi's wording and statuses); a body schema fails at startup.
 */
export const shapesOnly: FastifySchemaCompiler<unknown> = ({ httpPart, method, url }) => {
  if (httpPart === 'querystring' || httpPart === 'params') return () => true;
  throw new Error(`${method} ${url}: a route schema types the query and params only; decode the ${httpPart} with parseBody`);
};

type Route<S extends FastifySchema> = Omit<
  RouteOptions<RawServerDefault, IncomingMessage, ServerResponse, RouteGenericInterface, unknown, S, TypeBoxTypeProvider>,
  'method' | 'url'
>;

/** One response a route may send, as the OpenAPI documents (api/openapi/) describe it. */
export interface ResponseDoc {
  description: string;
  /** The body's schema; none for an empty body. */
  schema?: TSchema;
  /** `application/json` unless said. */
  contentType?: string;
  /** Response headers worth documenting (ETag, X-Request-Id…). */
  headers?: Record<string, { description: string; schema: TSchema }>;
}

/**
 * What the OpenAPI documents say of a route. Built from the TypeBox schemas the handler decodes with (its
 * body, through parseBody) and answers with; the test suite validates every response it sees against them.
 */
export interface RouteDoc {
  summary: string;
  description?: string;
  /** The query parameters the handler reads: each property one parameter (a string, or an array when it repeats). */
  query?: TObject;
  /** The request body, as the handler decodes it. */
  body?: { schema: TSchema; contentType?: string; required?: boolean; description?: string };
  /** Every status the route itself sends (auth failures and the shared error statuses are added by the generator). */
  responses: Record<number, ResponseDoc>;
  /** Shared statuses this route never sends: its own error handler answers those errors another way (the login's 400s are 401s). */
  sharedExcept?: number[];
}

/**
 * Who may call a route, as the route table (routes.ts) groups them: `none`; `machine`, a JWT; `bouncer`, an API key
 * or bouncer certificate; `either` of the two; `admin`, an admin key; an integration's own credential, HTTP Basic
 * (`integration-basic`, a firewall's content) or its API key (`integration-key`, its decision stream).
 */
export type AuthGroup = 'none' | 'machine' | 'bouncer' | 'either' | 'admin' | 'integration-basic' | 'integration-key';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the OpenAPI documents say of the route (set by routes.ts from its endpoint). */
    doc?: RouteDoc;
    /** The route's credential group (set by routes.ts). */
    auth?: AuthGroup;
  }
}

/** A handler with its options, waiting for the route table (routes.ts) to give it a method, a URL and an auth group. */
export type Endpoint = Route<FastifySchema> & { doc?: RouteDoc };

/** Types the handler of an endpoint from its schema. */
export function endpoint<S extends FastifySchema>(e: Route<S> & { doc?: RouteDoc }): Endpoint {
  // the table holds endpoints of every schema; each handler was checked against its own above
  return e as unknown as Endpoint;
}
