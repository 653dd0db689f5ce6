import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { bouncerAuthenticator } from '../auth/api-key.js';
import { JwtAuthError } from '../errors.js';
import type { Bouncer } from '../store/bouncers.js';
import type { AppDeps } from './deps.js';
import { sendJwtError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on routes behind machine (JWT) auth: the token's `id` claim. */
    machineId: string;
    /** Set on routes behind bouncer (API key) auth. */
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

/** Routes a machine calls with its JWT. The middleware verifies the token only, as upstream. */
export function machineRoutes(deps: AppDeps, routes: FastifyPluginAsync): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.decorateRequest('machineId', '');
    app.addHook('onRequest', async (req, reply) => {
      try {
        req.machineId = (await deps.jwt.verify(bearerToken(req))).id;
      } catch (err) {
        if (err instanceof JwtAuthError) return sendJwtError(reply, err.statusCode, err.message);
        throw err;
      }
    });
    await app.register(routes);
  };
}

/** Routes a bouncer calls with its `X-Api-Key`. Every failure is 403 `access forbidden`, as upstream. */
export function bouncerRoutes(deps: AppDeps, routes: FastifyPluginAsync): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.decorateRequest('bouncer', null as unknown as Bouncer);
    const authenticate = bouncerAuthenticator(deps.db);
    app.addHook('onRequest', async (req, reply) => {
      const key = req.headers['x-api-key'];
      const bouncer = await authenticate({
        key: typeof key === 'string' ? key : undefined,
        clientIp: req.clientIp,
        userAgent: String(req.headers['user-agent'] ?? ''),
        head: req.method === 'HEAD',
      });
      if (!bouncer) return reply.code(403).send(FORBIDDEN);
      req.bouncer = bouncer;
    });
    await app.register(routes);
  };
}
