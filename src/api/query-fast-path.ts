import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse } from 'node:querystring';
import { parseDecisionFilter } from '../domain/decision-filter.js';
import { clientIp, clientIpPolicy } from './client-ip.js';
import type { AppDeps } from './deps.js';
import { answerQuery, LAST_PULL_EVERY_MS } from './v1/decisions.js';

/** A query string the fast path takes: plain characters only, where every parser reads the same thing. */
const PLAIN_QUERY = /^[A-Za-z0-9_.:=&,-]*$/;

/**
 * `GET /v1/decisions?ip=…` answered before Fastify's routing, for the requests a bouncer in query mode sends
 * many times a second: a key whose check is remembered, a plain query, nothing to write to the store. It answers
 * exactly what the route would (api/v1/decisions.ts `query`: same bytes, same headers, same metrics); every other
 * request, and any doubt, returns false and goes to Fastify, which answers it (errors, HEAD, certificates,
 * `last_pull` due, a key not checked lately).
 */
export function queryFastPath(deps: AppDeps): { handle(req: IncomingMessage, res: ServerResponse): boolean; close(): void } {
  const policy = clientIpPolicy(deps.config.server.use_forwarded_for_headers, deps.config.server.trusted_proxies);
  let closing = false;
  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? '';
    if (closing || req.method !== 'GET' || !url.startsWith('/v1/decisions')) return false;
    if (url.length !== 13 && url.charCodeAt(13) !== 63) return false;
    const query = url.length > 14 ? url.slice(14) : '';
    if (!PLAIN_QUERY.test(query)) return false;
    const key = req.headers['x-api-key'];
    // a request that carries its own id is echoed and logged with it: the route does that
    if (typeof key !== 'string' || req.headers['x-request-id'] !== undefined || deps.tls?.peer(req.socket)) return false;
    const start = performance.now();
    const userAgent = String(req.headers['user-agent'] ?? '');
    const bouncer = deps.bouncerKeys.peek({ key, clientIp: clientIp(policy, req), userAgent, head: false });
    const now = Date.now();
    if (!bouncer || bouncer.lastPull === null || now - bouncer.lastPull >= LAST_PULL_EVERY_MS) return false;
    let filter: ReturnType<typeof parseDecisionFilter>;
    try {
      filter = parseDecisionFilter(parse(query) as Record<string, string | string[]>);
    } catch {
      return false;
    }
    const found = answerQuery(deps, bouncer.name, filter, now);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': found.body.length });
    res.end(found.body);
    deps.metrics?.bouncerQuery(bouncer.name, (performance.now() - start) / 1000);
    return true;
  };
  return {
    handle,
    close: () => {
      closing = true;
    },
  };
}
