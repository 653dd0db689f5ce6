import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config/schema.js';
import { openLogFile } from './log-file.js';

/** logrus level names, as CrowdSec's config uses them, mapped to pino's. */
const LEVELS: Record<string, string> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
  panic: 'fatal',
};

export function pinoLevel(level: string): string | undefined {
  return LEVELS[level.toLowerCase()];
}

/**
 * Where secrets could sit in a log line: request headers (as pino's and Fastify's serializers name them, and
 * as an error carrying the headers of a request names them), credentials in bodies or objects we log.
 */
const SECRET_HEADERS = ['["x-api-key"]', '.authorization', '["proxy-authorization"]', '.cookie'];
export const REDACTED_PATHS = [
  ...['req.headers', 'headers', 'err.headers'].flatMap((at) => SECRET_HEADERS.map((h) => `${at}${h}`)),
  '*.password',
  'password',
  'token',
  '*.token',
];

export interface LoggerOptions {
  /** Where the JSON lines go: stdout when unset. */
  destination?: DestinationStream | undefined;
}

/** JSON lines on stdout (or `destination`); secrets never reach the log. */
export function createLogger(level: string, opts: LoggerOptions = {}): Logger {
  const options = { level: pinoLevel(level) ?? 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** The server's logger and how to close its output. */
export interface OpenLogger {
  readonly logger: Logger;
  /** Flushes and closes the file (nothing to do on stdout). Call it last: later lines are lost. */
  close(): Promise<void>;
}

/**
 * The logger `common.log_media` asks for: stdout, or `<log_dir>/lapis.log` rotated as configured. Throws a
 * ConfigError when the file cannot be opened. A write failure later is said once on stderr, the one output
 * left to say it on.
 */
export function openLogger(config: Config, stderr: { write(s: string): unknown } = process.stderr): OpenLogger {
  const out = config.log;
  if (out.media === 'stdout') return { logger: createLogger(config.logLevel), close: async () => {} };
  let said = false;
  const file = openLogFile(out, (err) => {
    if (!said) stderr.write(`lapis: log file ${out.path}: ${err.message}\n`);
    said = true;
  });
  return { logger: createLogger(config.logLevel, { destination: file.destination }), close: () => file.close() };
}
