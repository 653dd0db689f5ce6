import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { createLogger, openLogger } from '../logger.js';
import { startServer, type RunningServer } from '../server.js';
import type { LeafCommand } from './args.js';
import { CliError } from './context.js';

/** Listen errors in one line: `listen EADDRINUSE: address already in use 127.0.0.1:8080`. */
function listenError(err: unknown): CliError {
  const e = err as NodeJS.ErrnoException;
  return new CliError((e?.message ?? String(err)).split('\n')[0]!);
}

/**
 * Starts the Local API (`startServer`), logging JSON lines on stdout. Throws CliError when it cannot
 * listen or open its store. The caller closes it.
 */
export async function serve(
  config: Config,
  logger: Logger = createLogger(config.logLevel),
  env: NodeJS.ProcessEnv = {},
): Promise<RunningServer> {
  try {
    return await startServer(config, logger, { env });
  } catch (err) {
    throw listenError(err);
  }
}

export const serveCommand: LeafCommand = {
  name: 'serve',
  summary: 'Run the Local API server',
  description:
    'Run the Local API server: it listens on api.server.listen_uri until SIGINT or SIGTERM, then closes gracefully.\nSIGHUP reloads the profiles, notifications, TLS certificate, client CA, CRL and log level from the config file, without dropping connections.',
  examples: ['lapis serve', 'lapis serve -c /etc/crowdsec/config.yaml'],
  args: { min: 0, max: 0 },
  async run(ctx) {
    const config = ctx.config();
    const { logger, close } = openLogger(config);
    let server: RunningServer | undefined;
    let hangupWhileStarting = false;
    // from the start: a SIGHUP while the store opens must not end the process (node's default); it is honoured
    // once the server listens. The reload logs what it did, or why it did nothing, leaving the server as it was.
    const stopReloading = ctx.io.onHangup?.(() => {
      if (server) void server.reload();
      else hangupWhileStarting = true;
    });
    try {
      server = await serve(config, logger, ctx.io.env);
    } catch (err) {
      stopReloading?.();
      await close();
      throw err;
    }
    try {
      if (hangupWhileStarting) void server.reload();
      if (!ctx.io.untilStopped) return await server.close();
      const signal = await ctx.io.untilStopped();
      logger.info({ signal }, 'shutting down');
      await server.close();
      logger.info('Lapis Local API stopped');
    } finally {
      stopReloading?.();
      // with log_media: file, the lines still buffered reach the file before the process exits
      await close();
    }
  },
};
