import type { NotifierConfig, NotifierLogLevel } from './config.js';
import type { DispatcherOptions, NotifyCounter, NotifyLogFn, NotifyLogger } from './types.js';
import { HttpTarget, type SendOutcome } from './http-target.js';

const LEVELS: Record<NotifierLogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, off: 5 };
const DROP_WARN_INTERVAL_MS = 1000;

/** A notifier's `log_level` filters its own lines before the logger's level does. */
export function levelled(log: NotifyLogger, level: NotifierLogLevel | undefined): NotifyLogger {
  const pick = (l: keyof NotifyLogger): NotifyLogFn => (level === undefined || LEVELS[l] >= LEVELS[level] ? log[l].bind(log) : () => {});
  return { debug: pick('debug'), info: pick('info'), warn: pick('warn'), error: pick('error') };
}

export type QueueOptions = Required<Omit<DispatcherOptions, 'logger' | 'onCount' | 'drainTimeoutMs'>>;

/** One notifier: its queue, its grouping and its worker, which sends one message at a time. */
export class NotifierQueue {
  private readonly queue: unknown[] = [];
  readonly counts = { sent: 0, failed: 0, retried: 0, dropped: 0 };
  private readonly stop = new AbortController();
  private readonly target: HttpTarget;
  /** group_wait has elapsed (or close() began): everything queued goes out now. */
  private due = false;
  private closing = false;
  private groupTimer: NodeJS.Timeout | undefined;
  private kickPending = false;
  private running = false;
  private current: Promise<void> = Promise.resolve();
  private droppedSinceWarn = 0;
  private lastDropWarn = -Infinity;

  constructor(
    private readonly config: NotifierConfig,
    private readonly log: NotifyLogger,
    private readonly opts: QueueOptions,
    private readonly count: (counter: NotifyCounter, n: number) => void,
  ) {
    this.target = new HttpTarget(config);
  }

  get queued(): number {
    return this.queue.length;
  }

  push(alerts: readonly unknown[]): void {
    const room = this.closing ? 0 : Math.max(0, this.opts.queueCapacity - this.queue.length);
    const taken = Math.min(room, alerts.length);
    for (let i = 0; i < taken; i++) this.queue.push(alerts[i]);
    if (taken < alerts.length)
      this.drop(alerts.length - taken, this.closing ? 'notifier closing, alerts dropped' : 'notification queue full, alerts dropped');
    // The worker starts on the next turn, so a burst of enqueue() calls costs only the pushes.
    if (taken > 0 && !this.kickPending && !this.running) {
      this.kickPending = true;
      setImmediate(() => {
        this.kickPending = false;
        this.schedule();
      });
    }
  }

  private bump(counter: NotifyCounter, n = 1): void {
    this.counts[counter] += n;
    this.count(counter, n);
  }

  /** Counts dropped alerts; warns at most once a second, with how many went since the last warning. */
  private drop(n: number, msg: string): void {
    this.bump('dropped', n);
    this.droppedSinceWarn += n;
    const now = Date.now();
    if (now - this.lastDropWarn < DROP_WARN_INTERVAL_MS) return;
    this.lastDropWarn = now;
    this.log.warn(
      { notifier: this.config.name, dropped: this.droppedSinceWarn, totalDropped: this.counts.dropped, capacity: this.opts.queueCapacity },
      msg,
    );
    this.droppedSinceWarn = 0;
  }

  /** How many alerts the next message takes now; 0 when they must wait (for group_wait or group_threshold). */
  private readySize(): number {
    const n = this.queue.length;
    const { groupThreshold: threshold, groupWaitMs: wait } = this.config;
    if (n === 0 || this.stop.signal.aborted) return 0;
    if (this.due || this.closing) return Math.min(n, threshold > 0 ? threshold : wait > 0 ? n : 1);
    if (threshold > 0) return n >= threshold ? threshold : 0;
    return wait > 0 ? 0 : 1;
  }

  private schedule(): void {
    if (this.running) return;
    if (this.readySize() > 0) {
      // pump() catches everything; only a logger that throws could reach this catch.
      this.current = this.pump().catch(() => {});
    } else if (this.queue.length > 0 && this.config.groupWaitMs > 0 && !this.groupTimer && !this.closing) {
      // group_wait runs from the oldest alert held.
      this.groupTimer = setTimeout(() => {
        this.groupTimer = undefined;
        this.due = this.queue.length > 0;
        this.schedule();
      }, this.config.groupWaitMs).unref();
    }
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      for (let size = this.readySize(); size > 0; size = this.readySize()) {
        const batch = this.queue.splice(0, size);
        if (this.queue.length === 0) {
          this.due = false;
          clearTimeout(this.groupTimer);
          this.groupTimer = undefined;
        }
        await this.deliver(batch);
      }
    } catch (err) {
      this.log.error({ notifier: this.config.name, err }, 'notifier worker failed');
    } finally {
      this.running = false;
    }
    if (!this.stop.signal.aborted) this.schedule();
  }

  /** Renders and sends one message, retrying with backoff; every outcome is counted, none is thrown. */
  private async deliver(batch: unknown[]): Promise<void> {
    const notifier = this.config.name;
    let body: string;
    try {
      body = this.config.template.execute(batch);
    } catch (err) {
      this.bump('failed');
      this.log.error({ notifier, alerts: batch.length, err }, 'notification format failed');
      return;
    }
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.target
        .send(body, this.stop.signal)
        .catch((error: Error): SendOutcome => ({ ok: false, retryable: false, error }));
      if (outcome.ok) {
        this.bump('sent');
        this.log.debug({ notifier, alerts: batch.length, status: outcome.status, attempt }, 'notification sent');
        return;
      }
      const detail = {
        notifier,
        alerts: batch.length,
        attempt,
        ...(outcome.status !== undefined && { status: outcome.status }),
        ...(outcome.error && { err: outcome.error }),
      };
      if (!outcome.retryable || attempt > this.config.maxRetry || this.stop.signal.aborted) {
        this.bump('failed');
        this.log.error(detail, 'notification failed');
        return;
      }
      this.bump('retried');
      this.log.warn(detail, 'notification failed, retrying');
      await this.sleep(Math.min(this.opts.backoffCapMs, this.opts.backoffBaseMs * 2 ** (attempt - 1)));
    }
  }

  /** A backoff pause that close() cuts short. */
  private sleep(ms: number): Promise<void> {
    const signal = this.stop.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms).unref();
      signal.addEventListener('abort', done);
    });
  }

  /** Stops grouping: whatever is queued is sent now; new alerts are dropped. */
  beginClose(): void {
    this.closing = true;
    clearTimeout(this.groupTimer);
    this.groupTimer = undefined;
    this.schedule();
  }

  async idle(): Promise<void> {
    while (this.running) await this.current;
  }

  /** Aborts the request in flight and the backoff; what is still queued counts as dropped. */
  async abort(): Promise<void> {
    this.stop.abort();
    await this.idle();
    if (this.droppedSinceWarn > 0) {
      this.log.warn(
        { notifier: this.config.name, dropped: this.droppedSinceWarn, totalDropped: this.counts.dropped },
        'alerts dropped since the last warning',
      );
    }
    const left = this.queue.splice(0).length;
    if (left > 0) {
      this.bump('dropped', left);
      this.log.warn({ notifier: this.config.name, dropped: left }, 'notifications not sent before shutdown');
    }
    this.target.destroy();
  }
}
