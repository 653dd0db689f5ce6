import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import type { DbConfig } from '../config/schema.js';
import { listenForChanges, sqliteCommitFiles, type ChangeListener } from '../store/change-notices.js';
import type { CounterName } from '../store/counters.js';

/**
 * Catches a node up as soon as another process commits, rather than at its next poll (which stays, as the
 * fallback): the `lapis` CLI, other nodes, anything writing the same database.
 *
 * - PostgreSQL: a connection of its own LISTENs for the notices the counters' transactions send at commit
 *   (store/change-notices.ts), each naming the counter it bumped. Lost, it is opened again with a backoff
 *   (the poll covers the gap), and the node catches up once it listens again.
 * - SQLite: the database's directory is watched (inotify on Linux) for writes to the database, its WAL or
 *   its journal. The watch cannot tell whose commit it was nor which counter moved, so both views catch up,
 *   `delayMs` after the first write of a burst (a commit is several writes, and visible only after the last),
 *   at most once per `minGapMs` while writes go on, and once more `confirmMs` after a burst ends, for a commit
 *   whose last write was seen before it became visible. This node's own commits wake it too: catching up on
 *   nothing is one indexed read of each view, and under a steady load of its own writes at most 100 a second.
 * - MySQL: nothing to hear; the poll alone.
 *
 * A catch-up is `settle(name)`, the use cases' own (single-flight: shared with concurrent ones).
 */
export interface ChangeSignals {
  /** `listen` (PostgreSQL), `watch` (SQLite), or `none` (MySQL, `:memory:`, or a watch that could not start). */
  readonly kind: 'listen' | 'watch' | 'none';
  close(): Promise<void>;
}

export interface ChangeSignalOptions {
  log?: Logger | undefined;
  /** SQLite: how long after a write the catch-up runs. */
  delayMs?: number;
  /** SQLite: the least time between the starts of two catch-ups while writes go on (this node's own, under load). */
  minGapMs?: number;
  /** SQLite: the second look after a burst of writes. */
  confirmMs?: number;
  /** PostgreSQL: the first wait before opening a lost listener again; it doubles up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** PostgreSQL: how often the listener checks that its connection still answers. */
  heartbeatMs?: number;
}

type Settle = (changed: CounterName) => Promise<void>;

/** Starts hearing other processes' commits to `config`'s database; on PostgreSQL, once the first attempt to listen is over. */
export async function startChangeSignals(config: DbConfig, settle: Settle, opts: ChangeSignalOptions = {}): Promise<ChangeSignals> {
  switch (config.type) {
    case 'postgres':
    case 'postgresql':
    case 'pgx': {
      const listen = new PgListen(config, settle, opts);
      await listen.start();
      return listen;
    }
    case 'sqlite':
      return watchSqlite(config, settle, opts);
    default:
      return { kind: 'none', close: async () => undefined };
  }
}

function reportTo(log: Logger | undefined, what: string): (err: unknown) => void {
  return (err) => log?.error({ err }, `change signals: ${what} failed`);
}

/** PostgreSQL: one listening connection, opened again whenever it is lost. */
class PgListen implements ChangeSignals {
  readonly kind = 'listen';
  private listener: ChangeListener | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private wakeRetry: (() => void) | undefined;
  private backoff: number;
  private loop: Promise<void> | undefined;
  private readonly failed: (err: unknown) => void;

  constructor(
    private readonly config: DbConfig,
    private readonly settle: Settle,
    private readonly opts: ChangeSignalOptions,
  ) {
    this.backoff = opts.backoffMs ?? 100;
    this.failed = reportTo(opts.log, 'catch-up on a notice');
  }

  /** Resolves once the first attempt to listen has succeeded or failed; the loop goes on from there. */
  start(): Promise<void> {
    return new Promise((resolve) => {
      this.loop = this.run(resolve);
    });
  }

  private async run(firstAttempt: () => void): Promise<void> {
    let failures = 0;
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        this.listener = await listenForChanges(this.config, (name) => this.settle(name).catch(this.failed), {
          heartbeatMs: this.opts.heartbeatMs,
        });
      } catch (err) {
        // said once per outage, not at every try
        const level = failures++ === 0 ? 'warn' : 'debug';
        this.opts.log?.[level]({ err }, `change signals: cannot listen on PostgreSQL; polling meanwhile, next try in ${this.backoff} ms`);
        firstAttempt();
        await this.sleep();
        continue;
      }
      if (this.closed) {
        await this.listener.close();
        break;
      }
      this.backoff = this.opts.backoffMs ?? 100;
      failures = 0;
      if (attempt > 0) this.opts.log?.info('change signals: listening on PostgreSQL again');
      // what was committed while nobody listened (before the start, during a loss) is read now, not at the next poll
      this.settle('allowlists').catch(this.failed);
      firstAttempt();
      const err = await this.listener.ended;
      this.listener = undefined;
      if (this.closed) break;
      this.opts.log?.warn({ err }, 'change signals: the PostgreSQL listener was lost; polling until it is back');
      failures = 1;
      await this.sleep();
    }
    firstAttempt();
  }

  /** The backoff; none once closed (its timer keeps no process alive, and close() must not wait for it). */
  private sleep(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const ms = this.backoff;
    this.backoff = Math.min(ms * 2, this.opts.maxBackoffMs ?? 10_000);
    return new Promise((resolve) => {
      this.wakeRetry = resolve;
      this.retry = setTimeout(resolve, ms);
      this.retry.unref();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.wakeRetry?.();
    await this.listener?.close();
    await this.loop;
  }
}

/** SQLite: a watch on the database's directory. */
function watchSqlite(config: DbConfig, settle: Settle, opts: ChangeSignalOptions): ChangeSignals {
  const files = sqliteCommitFiles(config);
  if (!files) return { kind: 'none', close: async () => undefined };
  const delayMs = opts.delayMs ?? 2;
  const minGapMs = opts.minGapMs ?? 10;
  const confirmMs = opts.confirmMs ?? 40;
  const failed = reportTo(opts.log, 'catch-up on a write');
  let timer: NodeJS.Timeout | undefined;
  /** Whether the pending timer is the second look (a new write brings it forward). */
  let confirming = false;
  let running: Promise<void> | undefined;
  let dirty = false;
  let closed = false;
  let lastStart = -Infinity;

  const schedule = (ms: number, confirm: boolean) => {
    confirming = confirm;
    timer = setTimeout(() => {
      timer = undefined;
      running = catchUp(confirm);
    }, ms);
    timer.unref();
  };
  /** The next catch-up for a write: `delayMs` from now, and `minGapMs` after the last one began. */
  const soon = () => schedule(Math.max(delayMs, lastStart + minGapMs - performance.now()), false);
  const catchUp = async (confirm: boolean) => {
    dirty = false;
    lastStart = performance.now();
    await settle('allowlists').catch(failed);
    running = undefined;
    if (closed) return;
    if (dirty) soon();
    else if (!confirm) schedule(confirmMs, true);
  };
  const onWrite = () => {
    dirty = true;
    if (closed || running) return;
    if (timer && !confirming) return;
    clearTimeout(timer);
    soon();
  };

  let watcher: FSWatcher;
  try {
    watcher = watch(files.dir, { persistent: false }, (_event, name) => {
      if (name !== null && files.names.has(name)) onWrite();
    });
  } catch (err) {
    opts.log?.warn({ err }, `change signals: cannot watch ${files.dir}; other processes' writes are polled for`);
    return { kind: 'none', close: async () => undefined };
  }
  watcher.on('error', (err) => {
    opts.log?.warn({ err }, `change signals: the watch on ${files.dir} failed; other processes' writes are polled for`);
    watcher.close();
  });
  // what was committed before the watch began
  onWrite();
  return {
    kind: 'watch',
    close: async () => {
      closed = true;
      clearTimeout(timer);
      watcher.close();
      await running;
    },
  };
}
