import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { LazyLogger } from './api/lazy-logger.js';
import { queryFastPath } from './api/query-fast-path.js';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { installBodyParser } from './api/body.js';
import { clientIp, clientIpPolicy } from './api/client-ip.js';
import { clientErrorHandler, guardConnections, slowClientOptions } from './api/connections.js';
import { nulParameter } from './api/json-guards.js';
import { shapesOnly } from './api/endpoint.js';
import type { AppDeps } from './api/deps.js';
import { installErrorHandler } from './api/errors.js';
import { BadRequestError } from './errors.js';
import { installFallbacks } from './api/fallbacks.js';
import { adminApiRoutes, localApiRoutes } from './api/routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client address after the forwarded-headers policy (api/client-ip.ts). */
    clientIp: string;
  }
}

export interface BuildOptions {
  logger?: Logger | false;
  /** Extra routes behind bouncer auth; tests use it to exercise the middleware on its own. */
  extraBouncerRoutes?: FastifyPluginAsync;
}

type FastPath = ReturnType<typeof queryFastPath>;

declare module 'fastify' {
  interface FastifyInstance {
    /** The Local API's query fast path: true when it answered the request. Absent on the admin API. */
    fastQuery?: (req: IncomingMessage, res: ServerResponse) => boolean;
  }
}

/** On shutdown, requests in progress (a startup pull, a slow body) get this long to finish. */
const SHUTDOWN_GRACE_MS = 5000;

/** A client's `X-Request-Id` when it is a plain token of at most 128 characters, else a fresh UUID. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._:@/+=-]{1,128}$/.test(given) ? given : randomUUID();
}

/** What both listeners share: Fastify with our error handler, body parser, client-IP policy and gin's fallbacks. */
function baseApp(deps: AppDeps, logger: Logger | false | undefined, fast?: FastPath): FastifyInstance {
  const app = Fastify({
    // the Local API's bouncer queries may be answered before Fastify's routing (api/query-fast-path.ts)
    ...(fast
      ? {
          serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
            createServer(slowClientOptions(deps.config.limits), (req, res) => {
              if (!fast.handle(req, res)) handler(req, res);
            }),
        }
      : {}),
    ...(logger ? { loggerInstance: logger as FastifyBaseLogger } : { logger: false }),
    // one debug line per request from our own hook instead: at bouncer rates, two info lines each would cost more than the answer
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    childLoggerFactory: (parent, bindings, opts) => new LazyLogger(parent, bindings, opts) as unknown as FastifyBaseLogger,
    // a bigger bound than any cap: the body parser enforces the real one after decompression
    bodyLimit: 1024 * 1024 * 1024,
    return503OnClosing: true,
    // upstream answers HEAD only where it routes it (HEAD /health is a 405)
    exposeHeadRoutes: false,
    forceCloseConnections: 'idle',
    requestTimeout: slowClientOptions(deps.config.limits).requestTimeout,
    keepAliveTimeout: slowClientOptions(deps.config.limits).keepAliveTimeout,
    http: slowClientOptions(deps.config.limits),
    clientErrorHandler,
    // `X-Request-Id` is honoured when it is a sane token, echoed, and carried by every log line of the request
    requestIdHeader: false,
    genReqId: requestId,
  });
  const guard = guardConnections(app.server, deps.config.limits);
  app.addHook('preClose', async () => guard.shutdown(SHUTDOWN_GRACE_MS));
  const policy = clientIpPolicy(deps.config.server.use_forwarded_for_headers, deps.config.server.trusted_proxies);
  app.decorateRequest('clientIp', '');
  // hooks on every request take callbacks: an async hook costs a promise and a microtask per request
  app.addHook('onRequest', (req, reply, done) => {
    req.clientIp = clientIp(policy, req);
    if (req.headers['x-request-id'] !== undefined) reply.header('X-Request-Id', req.id);
    done();
  });
  // after authentication, before any handler: PostgreSQL cannot compare or store NUL, and no parameter means one
  // (a parameter can only hold NUL through `%00`: node's parser refuses a raw one; the bouncer path pays one indexOf)
  app.addHook('preValidation', (req, _reply, done) => {
    const name = req.url.includes('%00') ? nulParameter(req.query, req.params) : undefined;
    done(name === undefined ? undefined : new BadRequestError(`invalid value for '${name}': NUL characters are not allowed`));
  });
  app.addHook('onResponse', (req, reply, done) => {
    if (req.log.level === 'debug' || req.log.level === 'trace') {
      const who = req.bouncer ? { bouncer: req.bouncer.name } : req.machineId ? { machine: req.machineId } : {};
      req.log.debug(
        { method: req.method, url: req.url, status: reply.statusCode, ip: req.clientIp, ms: reply.elapsedTime, ...who },
        'request',
      );
    }
    done();
  });
  app.setValidatorCompiler(shapesOnly);
  installResponseCheck(app);
  installErrorHandler(app);
  installBodyParser(app, { maxBodyBytes: deps.config.server.max_body_bytes, maxInflightBytes: deps.config.limits.maxInflightBodyBytes });
  installFallbacks(app);
  return app;
}

/**
 * The test suite's check of every response against the OpenAPI documents (api/openapi/check.ts), when
 * LAPIS_OPENAPI_CHECK names a directory for its findings: scripts/run-tests.mjs sets it for every test process,
 * and the `lapis serve` processes they spawn inherit it. Read here rather than in the config: it instruments the
 * test run and is no setting of the server. The checker (and its JSON Schema validator) is imported only then,
 * so production never loads it.
 */
function installResponseCheck(app: FastifyInstance): void {
  const dir = process.env.LAPIS_OPENAPI_CHECK;
  if (!dir) return;
  const checker = import('./api/openapi/check.js').then((m) => m.responseChecker(dir));
  app.addHook('onSend', async (req, reply, payload) => {
    (await checker)(app, req, reply, payload);
    return payload;
  });
}

/** Builds the Local API. No listen: the server and the tests call it. */
export async function buildApp(deps: AppDeps, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const fast = queryFastPath(deps);
  const app = baseApp(deps, opts.logger, fast);
  // the TLS and Unix-socket listeners (server.ts) take the same path before `app.routing`
  app.decorate('fastQuery', fast.handle);
  app.addHook('preClose', async () => fast.close());
  deps.metrics?.instrument(app);
  await localApiRoutes(app, deps, opts.extraBouncerRoutes);
  return app;
}

/** Builds the admin API (allowlists management), every route behind an admin key. No listen. */
export async function buildAdminApp(deps: AppDeps, opts: { logger?: Logger | false } = {}): Promise<FastifyInstance> {
  const app = baseApp(deps, opts.logger);
  await adminApiRoutes(app, deps);
  return app;
}
