import type { FastifyInstance } from 'fastify';
import { lstatSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect, type AddressInfo, type ListenOptions } from 'node:net';
import type { TLSSocket, TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import { buildAdminApp, buildApp } from './app.js';
import { clientErrorHandler, guardConnections, slowClientOptions } from './api/connections.js';
import { type RunningMirror, startMirror } from './api/mirror/server.js';
import { listenerTlsOptions, tlsSettings } from './auth/tls.js';
import type { Config } from './config/schema.js';
import { createLogger } from './logger.js';
import { reloader, type ReloadReport } from './reload.js';
import { openRuntime } from './runtime.js';
import type { Db } from './store/db.js';

/**
 * The HTTPS listener: node's https server in front of the Fastify app (whose own server stays idle), so that
 * requests carry the TLS socket, and with it the client certificate. HTTP/1.1 only. Client-initiated
 * renegotiation is refused (it could swap the certificate under a connection). In RequireAnyClientCert,
 * a connection without a certificate is closed, as upstream's handshake would fail.
 */
async function listenTls(
  app: FastifyInstance,
  options: TlsOptions,
  config: Config,
  logger: Logger,
  at: { host: string; port: number },
): Promise<HttpsServer> {
  await app.ready();
  const limits = slowClientOptions(config.limits);
  // a handshake that never ends is the TLS listener's slowloris
  const server = createHttpsServer({ ...options, ...limits, handshakeTimeout: limits.headersTimeout }, entry(app));
  const requireCert = config.server.tls?.client_verification === 'RequireAnyClientCert';
  server.on('secureConnection', (socket: TLSSocket) => {
    socket.disableRenegotiation();
    if (requireCert && !socket.getPeerCertificate()?.raw) socket.destroy();
  });
  server.on('tlsClientError', (err) => logger.debug({ err }, 'TLS handshake failed'));
  return serveOn(app, server, config, { host: at.host, port: at.port });
}

/** A second node server in front of the app's routes: the app's timeouts and connection guard, then listen. */
async function serveOn<S extends HttpServer | HttpsServer>(app: FastifyInstance, server: S, config: Config, at: ListenOptions): Promise<S> {
  for (const k of ['timeout', 'maxRequestsPerSocket'] as const) {
    (server as unknown as Record<string, unknown>)[k] = app.server[k];
  }
  guardConnections(server, config.limits);
  server.on('clientError', clientErrorHandler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/**
 * `api.server.listen_socket`, as upstream: the Local API over a Unix socket, plain HTTP even when the TCP
 * listener is HTTPS. Its peers have no address, so they count as 127.0.0.1 (client-ip.ts). A socket file
 * left by a process that is gone is replaced; one that still answers, or a file that is not a socket, is an error.
 */
async function listenSocket(app: FastifyInstance, config: Config, path: string): Promise<HttpServer> {
  await app.ready();
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (stat && !stat.isSocket()) throw new Error(`api.server.listen_socket: ${path} exists and is not a socket`);
  if (stat) {
    const live = await new Promise<boolean>((resolve) => {
      const probe = connect(path)
        .once('connect', () => {
          probe.destroy();
          resolve(true);
        })
        .once('error', () => resolve(false));
    });
    if (live) throw new Error(`api.server.listen_socket: ${path} is in use by another process`);
    rmSync(path);
  }
  return serveOn(app, createHttpServer(slowClientOptions(config.limits), entry(app)), config, { path });
}

const hostOf = (h: string) => (h.includes(':') ? `[${h}]` : h);

/** Where a listener hands its requests: the query fast path first (api/query-fast-path.ts), then Fastify. */
function entry(app: FastifyInstance): (req: IncomingMessage, res: ServerResponse) => void {
  const fast = app.fastQuery;
  return fast ? (req, res) => void (fast(req, res) || app.routing(req, res)) : app.routing;
}

export interface RunningServer {
  app: FastifyInstance;
  db: Db;
  /** The address actually bound (a `:0` port resolved). */
  url: string;
  /** The Prometheus endpoint, when enabled. */
  metricsUrl?: string | undefined;
  /** The admin API, when enabled. */
  adminUrl?: string | undefined;
  /** `api.server.listen_socket`, when set. */
  socketPath?: string | undefined;
  /** The cs-blocklist-mirror listener, when `blocklist_mirror.blocklists` is set. */
  mirrorUrl?: string | undefined;
  /**
   * SIGHUP: re-reads the config file it started with (or takes `next`) and puts in use, without dropping a
   * connection, the profiles, notifiers, TLS certificate, client CA and CRL, and log level; all or nothing.
   * Reloads asked for while one runs are coalesced into the next one. Never rejects.
   */
  reload(next?: Config): Promise<ReloadReport>;
  close(): Promise<void>;
}

/** Opens the store (migrating it), builds the app and listens. */
export async function startServer(
  config: Config,
  logger: Logger = createLogger(config.logLevel),
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<RunningServer> {
  for (const warning of config.warnings) logger.warn(warning);
  // env: for `${VAR}` in notifier files, which are read here rather than with the config
  const runtime = await openRuntime(config, logger, { env: opts.env });
  const { db } = runtime.deps;
  let metricsServer: import('node:http').Server | undefined;
  if (runtime.deps.metrics) {
    try {
      const { listen_addr, listen_port, trustedIps } = config.prometheus;
      metricsServer = await runtime.deps.metrics.listen(listen_addr, listen_port, trustedIps);
    } catch (err) {
      await runtime.close();
      throw err;
    }
  }
  let app: FastifyInstance | undefined;
  let admin: FastifyInstance | undefined;
  let https: HttpsServer | undefined;
  let adminHttps: HttpsServer | undefined;
  let socketServer: HttpServer | undefined;
  let mirror: RunningMirror | undefined;
  let port: number;
  let adminPort: number | undefined;
  try {
    const tlsOptions = listenerTlsOptions(tlsSettings(config));
    app = await buildApp(runtime.deps, { logger });
    if (tlsOptions) {
      https = await listenTls(app, tlsOptions, config, logger, config.listen);
      port = (https.address() as AddressInfo).port;
    } else {
      await app.listen({ host: config.listen.host, port: config.listen.port });
      const addr = app.server.address();
      port = typeof addr === 'object' && addr ? addr.port : config.listen.port;
    }
    const socketPath = config.server.listen_socket;
    if (socketPath !== undefined) socketServer = await listenSocket(app, config, socketPath);
    // the admin API speaks HTTPS with the same certificate when the Local API does: its keys never travel in clear
    if (config.admin.enabled) {
      admin = await buildAdminApp(runtime.deps, { logger });
      try {
        if (tlsOptions) {
          adminHttps = await listenTls(admin, tlsOptions, config, logger, config.admin.listen);
          adminPort = (adminHttps.address() as AddressInfo).port;
        } else {
          await admin.listen({ host: config.admin.listen.host, port: config.admin.listen.port });
          adminPort = (admin.server.address() as AddressInfo).port;
        }
      } catch (err) {
        // a Local API that used to start must say why it no longer does, and how to move the new listener
        const why = (err as Error).message.split('\n')[0];
        throw new Error(`admin API: ${why} (set api.admin.listen_uri, or api.admin.enabled: false)`, { cause: err });
      }
    }
    if (config.mirror) {
      try {
        mirror = await startMirror(config.mirror, config.limits, runtime.deps, logger);
      } catch (err) {
        const why = (err as Error).message.split('\n')[0];
        throw new Error(`blocklist mirror: ${why}`, { cause: err });
      }
    }
  } catch (err) {
    socketServer?.close();
    adminHttps?.close();
    await admin?.close();
    await app?.close();
    metricsServer?.close();
    await runtime.close();
    throw err;
  }
  const host = hostOf(config.listen.host);
  const url = `${https ? 'https' : 'http'}://${host}:${port}`;
  logger.info({ url, db: config.db.type }, `Lapis Local API listening on ${host}:${port}`);
  let closing: Promise<void> | undefined;
  const adminUrl =
    adminPort === undefined ? undefined : `${adminHttps ? 'https' : 'http'}://${hostOf(config.admin.listen.host)}:${adminPort}`;
  if (socketServer) logger.info({ socket: config.server.listen_socket }, `Lapis Local API listening on ${config.server.listen_socket}`);
  if (adminUrl) logger.info({ url: adminUrl }, `Lapis admin API listening on ${hostOf(config.admin.listen.host)}:${adminPort}`);
  if (mirror) logger.info({ url: mirror.url }, `Lapis blocklist mirror listening on ${mirror.url.replace(/^https?:\/\//, '')}`);
  const maddr = metricsServer?.address();
  const metricsUrl = maddr && typeof maddr === 'object' ? `http://${config.prometheus.listen_addr}:${maddr.port}/metrics` : undefined;
  const reload = reloader({
    started: config,
    deps: runtime.deps,
    listeners: [https, adminHttps].filter((s) => s !== undefined),
    mirror,
    logger,
    env: opts.env ?? {},
  });
  return {
    app: app!,
    db,
    url,
    metricsUrl,
    adminUrl,
    socketPath: socketServer && config.server.listen_socket,
    mirrorUrl: mirror?.url,
    reload,
    close: () =>
      (closing ??= (async () => {
        // first, so that no mirror request reads the index while the runtime closes
        await mirror?.close();
        const stopped = https && new Promise((r) => https.close(r));
        const adminStopped = adminHttps && new Promise((r) => adminHttps.close(r));
        // node removes the socket file when its server closes
        const socketStopped = socketServer && new Promise((r) => socketServer.close(r));
        await admin?.close();
        await app.close();
        // what is left is idle keep-alive connections and clients that never finish a request
        https?.closeAllConnections();
        adminHttps?.closeAllConnections();
        socketServer?.closeAllConnections();
        await stopped;
        await adminStopped;
        await socketStopped;
        await new Promise((r) => (metricsServer ? metricsServer.close(r) : r(undefined)));
        await runtime.close();
      })()),
  };
}
