import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config/schema.js';
import { createLogger } from './logger.js';
import { openRuntime } from './runtime.js';
import type { Db } from './store/db.js';

export interface RunningServer {
  app: FastifyInstance;
  db: Db;
  /** The address actually bound (a `:0` port resolved). */
  url: string;
  close(): Promise<void>;
}

/** Opens the store (migrating it), builds the app and listens. */
export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const runtime = await openRuntime(config, logger);
  const { db } = runtime.deps;
  const app = await buildApp(runtime.deps, { logger });
  try {
    await app.listen({ host: config.listen.host, port: config.listen.port });
  } catch (err) {
    await app.close();
    await runtime.close();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.listen.port;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  const url = `http://${host}:${port}`;
  logger.info({ url, db: config.db.type }, `Lapis Local API listening on ${host}:${port}`);
  let closing: Promise<void> | undefined;
  return {
    app,
    db,
    url,
    close: () =>
      (closing ??= (async () => {
        await app.close();
        await runtime.close();
      })()),
  };
}
