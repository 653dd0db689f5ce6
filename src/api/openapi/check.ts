import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ResponseDoc } from '../endpoint.js';
import type { RouteRecord } from './collect.js';
import { operationResponses } from './generate.js';
import { plainSchema } from './json-schema.js';

/** One line of the violations file. */
interface Violation {
  method: string;
  url: string;
  status: number;
  error: string;
  body: string;
}

type Checked = Record<string, { doc: ResponseDoc; validate?: ValidateFunction }>;

/**
 * The test suite's drift check (installed by app.ts when LAPIS_OPENAPI_CHECK names a directory; never loaded
 * otherwise): every response a documented route sends must have a documented status, and a JSON body must
 * match that status's schema. Each violation is one JSON line in `<dir>/violations.jsonl`, which
 * scripts/run-tests.mjs reads after the run.
 *
 * Not seen here: stream payloads (the decision stream, a firewall's content, a download) are built while they
 * are sent, after this hook, so only their status and content type are checked; answers of the query fast path
 * (api/query-fast-path.ts), which bypass Fastify (the route answers the same bytes, and is checked).
 */
export function responseChecker(dir: string): (app: FastifyInstance, req: FastifyRequest, reply: FastifyReply, payload: unknown) => void {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const cache = new Map<string, Checked>();
  const file = join(dir, 'violations.jsonl');

  const responsesOf = (app: FastifyInstance, route: RouteRecord): Checked => {
    const key = `${route.method} ${route.url}`;
    let found = cache.get(key);
    if (!found) {
      found = {};
      for (const [status, doc] of Object.entries(operationResponses(route, app.routeTable ?? [route]))) {
        found[status] = { doc, ...(doc.schema ? { validate: ajv.compile(plainSchema(doc.schema)) } : {}) };
      }
      cache.set(key, found);
    }
    return found;
  };

  return (app, req, reply, payload) => {
    const config = req.routeOptions.config;
    if (!config?.doc || req.routeOptions.url === undefined) return;
    const route: RouteRecord = { method: req.method, url: req.routeOptions.url, auth: config.auth, doc: config.doc };
    const status = reply.statusCode;
    const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
    const problem = check(responsesOf(app, route)[String(status)], reply, payload, text, status);
    if (problem === undefined) return;
    const v: Violation = { method: req.method, url: route.url, status, error: problem, body: (text ?? '<stream>').slice(0, 500) };
    appendFileSync(file, `${JSON.stringify(v)}\n`);
  };
}

function check(
  expected: Checked[string] | undefined,
  reply: FastifyReply,
  payload: unknown,
  text: string | undefined,
  status: number,
): string | undefined {
  if (!expected) return `status ${status} is not documented for this operation`;
  const isStream = payload !== null && typeof payload === 'object' && typeof (payload as { pipe?: unknown }).pipe === 'function';
  const empty = !isStream && (text === undefined || text === '');
  if (empty) return undefined;
  const sent = String(reply.getHeader('content-type') ?? '')
    .split(';')[0]!
    .trim();
  const documented = expected.doc.schema ? (expected.doc.contentType ?? 'application/json') : undefined;
  if (documented === undefined) return `a ${sent || 'body'} is sent where the document says the body is empty`;
  if (sent !== documented) return `content type ${sent || '(none)'} is sent where the document says ${documented}`;
  if (isStream || !documented.endsWith('json')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text!);
  } catch (err) {
    return `the body is not JSON: ${(err as Error).message}`;
  }
  const validate = expected.validate!;
  if (validate(value)) return undefined;
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
}
