import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config/schema.js';
import { createLogger } from './logger.js';
import { openRuntime } from './runtime.js';
import { LapiMetrics } from './metrics/lapi.js';
import { lapisVersion } from './version.js';
import type { Db } from './store/db.js';

export interface RunningServer {
  app: FastifyInstance;
  db: Db;
  /** The address actually bound (a `:0` port resolved). */
  url: string;
  /** The Prometheus endpoint, when enabled. */
  metricsUrl?: string | undefined;
  close(): Promise<void>;
}

/** Opens the store (migrating it), builds the app and listens. */
export async function startServer(
  config: Config,
  logger: Logger = createLogger(config.logLevel),
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<RunningServer> {
  // env: for `${VAR}` in notifier files, which are read here rather than with the config
  const runtime = await openRuntime(config, logger, { env: opts.env });
  const { db } = runtime.deps;
  let metricsServer: import('node:http').Server | undefined;
  if (config.prometheus.enabled) {
    const metrics = new LapiMetrics(lapisVersion(), runtime.deps.feed, db);
    runtime.deps.metrics = metrics;
    try {
      metricsServer = await metrics.listen(config.prometheus.listen_addr, config.prometheus.listen_port);
    } catch (err) {
      await runtime.close();
      throw err;
    }
  }
  const app = await buildApp(runtime.deps, { logger });
  try {
    await app.listen({ host: config.listen.host, port: config.listen.port });
  } catch (err) {
    await app.close();
    metricsServer?.close();
    await runtime.close();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.listen.port;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  const url = `http://${host}:${port}`;
  logger.info({ url, db: config.db.type }, `Lapis Local API listening on ${host}:${port}`);
  let closing: Promise<void> | undefined;
  const maddr = metricsServer?.address();
  const metricsUrl = maddr && typeof maddr === 'object' ? `http://${config.prometheus.listen_addr}:${maddr.port}/metrics` : undefined;
  return {
    app,
    db,
    url,
    metricsUrl,
    close: () =>
      (closing ??= (async () => {
        await app.close();
        await new Promise((r) => (metricsServer ? metricsServer.close(r) : r(undefined)));
        await runtime.close();
      })()),
  };
}
