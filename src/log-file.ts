import { closeSync, openSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import type { LogFileSettings } from './config/schema.js';
import { ConfigError } from './errors.js';

/** An open log file: pino writes to `destination`; `close()` flushes what is buffered and closes the file. */
export interface LogFile {
  /** Where lines go: they reach `stream` in batches. */
  readonly destination: { write(line: string): boolean };
  /** The rotating file itself (its `rotated` event). */
  readonly stream: RotatingFileStream;
  close(): Promise<void>;
}

/** The most a batch holds before it is written at once rather than at the end of the event-loop turn. */
const BATCH_BYTES = 64 * 1024;

/**
 * pino's lines gathered into one write per event-loop turn (or per 64 KiB): rotating-file-stream awaits a file
 * write per chunk it is given, some 35 µs each, so line by line a busy debug log would pile up in memory. A batch
 * holds whole lines, so no line is split between two files; a rotation comes at most one batch late.
 */
class LineBatcher {
  private parts: string[] = [];
  private bytes = 0;
  private scheduled = false;

  constructor(private readonly out: RotatingFileStream) {}

  write(line: string): boolean {
    this.parts.push(line);
    this.bytes += line.length;
    if (this.bytes >= BATCH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  flush(): void {
    this.scheduled = false;
    if (this.parts.length === 0 || this.out.destroyed) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.bytes = 0;
    this.out.write(chunk);
  }
}

const DAY_MS = 86_400_000;

/**
 * Rotated files older than `maxAgeDays` (by their last write), removed. rotating-file-stream keeps a count
 * (`rotate`) but no age; upstream's lumberjack keeps both, so the age is enforced on each rotation.
 */
export function pruneOldLogs(path: string, maxAgeDays: number, now = Date.now()): string[] {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix) || !/^\d+(\.gz)?$/.test(name.slice(prefix.length))) continue;
    const file = join(dir, name);
    try {
      if (now - statSync(file).mtimeMs > maxAgeDays * DAY_MS) {
        unlinkSync(file);
        removed.push(name);
      }
    } catch {
      // gone meanwhile (a rotation renamed it): nothing to prune
    }
  }
  return removed;
}

/**
 * Opens `<log_dir>/lapis.log` for appending, rotated logrotate-style (`lapis.log.1[.gz]` the newest, up to
 * `maxFiles` of them) when it reaches `maxSizeMb`. A missing or unwritable directory throws a ConfigError at
 * once, rather than losing every line: the directory is not created (its owner and mode are the operator's).
 * `onError` hears write failures after that (a full disk), which the stream cannot recover from.
 */
export function openLogFile(settings: LogFileSettings, onError: (err: Error) => void): LogFile {
  const dir = dirname(settings.path);
  const stat = statSync(dir, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) throw new ConfigError(`common.log_dir: ${dir} is not a directory`);
  try {
    // as upstream: the file is made beforehand, readable by its owner only
    closeSync(openSync(settings.path, 'a', 0o600));
  } catch (err) {
    throw new ConfigError(
      `common.log_dir: cannot write ${settings.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  // a name (not a generator) gives logrotate's names: lapis.log.1 the newest, `.gz` added when compressed
  const stream = createStream(basename(settings.path), {
    path: dir,
    size: `${settings.maxSizeMb}M`,
    rotate: settings.maxFiles,
    ...(settings.compress ? { compress: 'gzip' as const } : {}),
    mode: 0o600,
  });
  stream.on('rotated', () => pruneOldLogs(settings.path, settings.maxAgeDays));
  stream.on('error', onError);
  stream.on('warning', onError);
  const batcher = new LineBatcher(stream);
  let closing: Promise<void> | undefined;
  return {
    destination: batcher,
    stream,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        batcher.flush();
        if (stream.writableFinished || stream.destroyed) return resolve();
        stream.once('finish', () => resolve());
        stream.once('error', () => resolve());
        stream.end();
      })),
  };
}
