import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { adminAuthenticator } from '../auth/admin-key.js';
import type { AdminKey } from '../store/admin-keys.js';
import { tlsBouncerAuthenticator } from '../auth/tls-identity.js';
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
    /** Set on routes either kind calls (`POST /v1/usage-metrics`). */
    caller: Caller;
  }
}

/** Who called a route open to agents and bouncers alike. */
export type Caller = { machineId: string } | { bouncer: Bouncer };

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

/** The machine a request's JWT names, or undefined once the JWT refusal is sent. */
async function verifiedMachine(deps: AppDeps, req: FastifyRequest, reply: FastifyReply): Promise<string | undefined> {
  try {
    return (await deps.sessions.verify(bearerToken(req))).id;
  } catch (err) {
    if (err instanceof JwtAuthError) {
      sendJwtError(reply, err.statusCode, err.message);
      return undefined;
    }
    throw err;
  }
}

/** Routes a machine calls with its JWT: a valid token of a machine that exists and is validated (unlike upstream, which looks at the token only). */
export function machineRoutes(deps: AppDeps, routes: FastifyPluginAsync): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.decorateRequest('machineId', '');
    app.addHook('onRequest', async (req, reply) => {
      const id = await verifiedMachine(deps, req, reply);
      if (id === undefined) return reply;
      req.machineId = id;
    });
    await app.register(routes);
  };
}

/**
 * How bouncer routes authenticate a request, as upstream's APIKey middleware: a client certificate on
 * the connection decides alone (the `X-Api-Key` header is then ignored), else the API key.
 * Resolves to undefined for every refusal. Throws the TLS setup errors (CRL, CA file) when built.
 */
function bouncerAuthentication(deps: AppDeps): (req: FastifyRequest) => Bouncer | undefined | Promise<Bouncer | undefined> {
  const byKey = deps.bouncerKeys;
  const tls = deps.tls;
  const byCert = tls && tlsBouncerAuthenticator(deps.db, tls);
  return (req) => {
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
    const authenticate = bouncerAuthentication(deps);
    const admit = (req: FastifyRequest, reply: FastifyReply, bouncer: Bouncer | undefined, done: () => void) => {
      if (!bouncer) return void reply.code(403).send(FORBIDDEN);
      req.bouncer = bouncer;
      done();
    };
    // a callback hook: a bouncer asking many times a second is usually known, and then no promise is made
    app.addHook('onRequest', (req, reply, done) => {
      let found: ReturnType<typeof authenticate>;
      try {
        found = authenticate(req);
      } catch (err) {
        return done(err as Error);
      }
      if (!(found instanceof Promise)) return admit(req, reply, found, done);
      found.then((b) => admit(req, reply, b, done), done);
    });
    await app.register(routes);
  };
}

/**
 * Routes agents and bouncers both call: the kind is picked from the headers, as upstream (an API key, or neither
 * a JWT nor an agent's User-Agent, is a bouncer), then that kind's check decides. It runs once the body is
 * read, as it always has here: a body refused is refused whatever the credential.
 */
export function eitherRoutes(deps: AppDeps, routes: FastifyPluginAsync): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    // null until the hook runs; the routes of this group are reached only once it has set it
    app.decorateRequest('caller');
    const authenticate = bouncerAuthentication(deps);
    app.addHook('preHandler', async (req, reply) => {
      const key = req.headers['x-api-key'];
      const ua = String(req.headers['user-agent'] ?? '');
      if ((typeof key === 'string' && key !== '') || (!req.headers.authorization && !ua.startsWith('crowdsec/'))) {
        const bouncer = await authenticate(req);
        if (!bouncer) return reply.code(403).send(FORBIDDEN);
        req.caller = { bouncer };
      } else {
        const machineId = await verifiedMachine(deps, req, reply);
        if (machineId === undefined) return reply;
        req.caller = { machineId };
      }
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
