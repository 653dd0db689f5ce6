import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { usingDb, type Db } from '../store/db.js';
import type { Printer, Sink } from './output.js';

/** What a command may touch outside itself; main.ts wires the process, tests a capture. */
export interface CliIo {
  stdout: Sink;
  stderr: Sink;
  env: NodeJS.ProcessEnv;
  /** Asks a yes/no question on the terminal; undefined when stdin is not a TTY (CI, pipes). */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
  /** `serve` waits on this; main.ts resolves it on SIGINT/SIGTERM. Without it, `serve` returns once listening. */
  untilStopped?: (() => Promise<string>) | undefined;
  /** `serve` reloads on this; main.ts calls `listener` on SIGHUP. Returns how to stop listening. */
  onHangup?: ((listener: () => void) => () => void) | undefined;
}

export interface Ctx {
  io: CliIo;
  out: Printer;
  /** `lapis machines add`: the prefix of error messages. */
  commandPath: string;
  /** `-c FILE`, if given. */
  configPath: string | undefined;
  /** Loads the configuration once (`-c`, else LAPIS_CONFIG, else the embedded default). */
  config(): Config;
}

/** A failure the user caused or can fix: printed as one line, exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** cscli's DB-direct commands refuse to run when the config disables the Local API. */
export function requireLapi(config: Config): void {
  if (!config.server.enable) throw new CliError('local API is disabled -- this command must be run on the local API machine');
}

/** Opens the store for the length of `fn` (migrating it), after checking the Local API is enabled. */
export async function withDb<T>(ctx: Ctx, fn: (db: Db, config: Config) => Promise<T>): Promise<T> {
  const config = ctx.config();
  requireLapi(config);
  return usingDb(config.db, (db) => fn(db, config));
}

export function makeConfigLoader(path: string | undefined, env: NodeJS.ProcessEnv): () => Config {
  let config: Config | undefined;
  return () => (config ??= loadConfig({ path, env }));
}

/** Asks for confirmation, or refuses with a one-line error when there is no terminal to ask on. */
export async function confirmOrRefuse(ctx: Ctx, question: string, what: string): Promise<boolean> {
  if (!ctx.io.confirm) {
    throw new CliError(`${what} needs a confirmation, but stdin is not a terminal: use --force to proceed without asking`);
  }
  return ctx.io.confirm(question);
}
