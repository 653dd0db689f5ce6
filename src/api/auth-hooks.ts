import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { adminAuthenticator } from '../auth/admin-key.js';
import { bouncerAuthenticator } from '../auth/api-key.js';
import type { AdminKey } from '../store/admin-keys.js';
import { tlsBouncerAuthenticator } from '../auth/tls-identity.js';
import { tlsAuthFor } from '../auth/tls.js';
import { JwtAuthError } from '../errors.js';
import type { Bouncer } from '../store/bouncers.js';
import type { AppDeps } from './deps.js';
import { sendJwtError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on routes behind machine (JWT) auth: the token's `id` claim. */
    machineId: string;
    /** Set on routes behind bouncer (API key or client certificate) auth. */
    bouncer: Bouncer;
  }
}

const FORBIDDEN = { message: 'access forbidden' };

/** Upstream's token lookup: exactly `Bearer <token>`, else the `jwt` cookie; the last lookup names the failure. */
export function bearerToken(req: FastifyRequest): string {
  const header = req.headers.authorization;
  if (typeof header === 'string' && header.startsWith('Bearer ') && header.length > 7) return header.slice(7);
  const cookie = req.headers.cookie;
  const m = typeof cookie === 'string' ? /(?:^|;\s*)jwt=([^;]+)/.exec(cookie) : null;
  if (m?.[1]) return m[1];
  throw new JwtAuthError('cookie token is empty');
}

/** Routes a machine calls with its JWT: a valid token of a machine that exists and is validated (unlike upstream, which looks at the token only). */
export function machineRoutes(deps: AppDeps, routes: FastifyPluginAsync): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.decorateRequest('machineId', '');
    app.addHook('onRequest', async (req, reply) => {
      try {
        req.machineId = (await deps.sessions.verify(bearerToken(req))).id;
      } catch (err) {
        if (err instanceof JwtAuthError) return sendJwtError(reply, err.statusCode, err.message);
        throw err;
      }
    });
    await app.register(routes);
  };
}

/**
 * How bouncer routes authenticate a request, as upstream's APIKey middleware: a client certificate on
 * the connection decides alone (the `X-Api-Key` header is then ignored), else the API key.
 * Resolves to undefined for every refusal. Throws the TLS setup errors (CRL, CA file) when built.
 */
export function bouncerAuthentication(deps: AppDeps, log: FastifyBaseLogger): (req: FastifyRequest) => Promise<Bouncer | undefined> {
  const byKey = bouncerAuthenticator(deps.db);
  const tls = tlsAuthFor(deps, deps.config, log);
  const byCert = tls && tlsBouncerAuthenticator(deps.db, tls);
  return async (req) => {
    const userAgent = String(req.headers['user-agent'] ?? '');
    const head = req.method === 'HEAD';
    const peer = tls?.peer(req.raw.socket);
    if (peer && byCert) return byCert({ peer, clientIp: req.clientIp, userAgent, head, log: req.log });
    const key = req.headers['x-api-key'];
    return byKey({ key: typeof key === 'string' ? key : undefined, clientIp: req.clientIp, userAgent, head });
  };
}

/** Routes a bouncer calls with its `X-Api-Key` or client certificate. Every failure is 403 `access forbidden`, as upstream. */
export function bouncerRoutes(deps: AppDeps, routes: FastifyPluginAsync): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.decorateRequest('bouncer', null as unknown as Bouncer);
    const authenticate = bouncerAuthentication(deps, app.log);
    app.addHook('onRequest', async (req, reply) => {
      const bouncer = await authenticate(req);
      if (!bouncer) return reply.code(403).send(FORBIDDEN);
      req.bouncer = bouncer;
    });
    await app.register(routes);
  };
}

/** Admin API routes: an admin key in `x-api-key` (bouncer keys are refused). Every failure is 403 `access forbidden`. */
export function adminRoutes(deps: AppDeps, routes: FastifyPluginAsync): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.decorateRequest('adminKey', null as unknown as AdminKey);
    const authenticate = adminAuthenticator(deps.db);
    app.addHook('onRequest', async (req, reply) => {
      const key = req.headers['x-api-key'];
      const found = await authenticate(typeof key === 'string' ? key : undefined);
      if (!found) return reply.code(403).send(FORBIDDEN);
      req.adminKey = found;
    });
    await app.register(routes);
  };
}
