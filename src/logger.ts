import { pino, type Logger } from 'pino';

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

/** JSON lines on stdout; secrets never reach the log. */
export function createLogger(level: string): Logger {
  return pino({
    level: pinoLevel(level) ?? 'info',
    redact: {
      paths: [
        'req.headers["x-api-key"]',
        'req.headers.authorization',
        'req.headers.cookie',
        'headers["x-api-key"]',
        'headers.authorization',
        '*.password',
        'password',
        'token',
      ],
      censor: '[redacted]',
    },
  });
}
