import type { Logger } from 'pino';
import type { NotifierConfig } from './config.js';
import { levelled, NotifierQueue, type QueueOptions } from './notifier-queue.js';
import type { DispatcherOptions, NotifyCounter, NotifyLogger, NotifyStats } from './types.js';

// the server hands the dispatcher its pino Logger: this stops compiling if the two drift apart
null as unknown as Logger satisfies NotifyLogger;

/**
 * Sends alerts to the configured notifiers without ever holding up the caller: each notifier has a
 * bounded queue and one worker that groups alerts (group_wait, group_threshold), renders `format`, and
 * sends it with retries and backoff. A profile's `notifications: [name]` maps to `enqueue(name, alerts)`.
 */
export class NotificationDispatcher {
  private queues = new Map<string, NotifierQueue>();
  private readonly log: NotifyLogger;
  private readonly drainTimeoutMs: number;
  private unknownWarned = new Set<string>();
  private closed: Promise<void> | undefined;

  constructor(configs: readonly NotifierConfig[], options: DispatcherOptions) {
    this.log = options.logger;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 5_000;
    const opts: QueueOptions = {
      queueCapacity: options.queueCapacity ?? 1_000,
      backoffBaseMs: options.backoffBaseMs ?? 100,
      backoffCapMs: options.backoffCapMs ?? 5_000,
    };
    const onCount = options.onCount;
    for (const config of configs) {
      if (this.queues.has(config.name)) throw new Error(`notifier ${JSON.stringify(config.name)} is configured twice`);
      const count = (counter: NotifyCounter, n: number) => {
        try {
          onCount?.(counter, config.name, n);
        } catch {
          // A metrics hook must not break delivery.
        }
      };
      this.queues.set(config.name, new NotifierQueue(config, levelled(this.log, config.logLevel), opts, count));
    }
  }

  /** Whether `name` is configured (for checking the profiles' `notifications` at startup). */
  has(name: string): boolean {
    return this.queues.has(name);
  }

  get names(): string[] {
    return [...this.queues.keys()];
  }

  /**
   * Queues `alerts` (wire-shaped alert objects, not to be mutated afterwards) for the notifier `name`.
   * Never throws and never waits: past the queue's capacity, or once close() has begun, alerts are
   * dropped and counted. An unknown name is logged once and ignored.
   */
  enqueue(name: string, alerts: readonly unknown[]): void {
    try {
      const queue = this.queues.get(name);
      if (queue === undefined) {
        if (!this.unknownWarned.has(name)) {
          this.unknownWarned.add(name);
          this.log.error({ notifier: name }, 'no such notifier: alerts not notified');
        }
        return;
      }
      if (!Array.isArray(alerts)) {
        this.log.error({ notifier: name }, 'enqueue expects a list of alerts');
        return;
      }
      queue.push(alerts);
    } catch (err) {
      try {
        this.log.error({ notifier: name, err }, 'notification enqueue failed');
      } catch {
        // Nothing is left to tell.
      }
    }
  }

  /**
   * Takes over the notifiers of `next` (built from a re-read notification_dir, SIGHUP): alerts enqueued from
   * now on go to them, while what the previous ones hold still goes out (drainTimeoutMs) before they close.
   * `next` is left empty. Resolves once the previous notifiers are closed; never rejects.
   */
  adopt(next: NotificationDispatcher): Promise<void> {
    if (this.closed) return next.close();
    const previous = [...this.queues.values()];
    this.queues = next.queues;
    next.queues = new Map();
    this.unknownWarned = new Set();
    return this.drain(previous, this.drainTimeoutMs);
  }

  /** Counters of one notifier (zeros for an unknown name), or summed over all of them. */
  stats(name?: string): NotifyStats {
    const queues = name === undefined ? [...this.queues.values()] : [this.queues.get(name)].filter((q) => q !== undefined);
    const total: NotifyStats = { sent: 0, failed: 0, retried: 0, dropped: 0, queued: 0 };
    for (const q of queues) {
      for (const k of ['sent', 'failed', 'retried', 'dropped'] as const) total[k] += q.counts[k];
      total.queued += q.queued;
    }
    return total;
  }

  /**
   * Sends what is queued, ignoring group_wait, for up to `deadlineMs` (default drainTimeoutMs); then aborts
   * what is in flight, counts what is left as dropped, and closes connections. Never rejects; idempotent.
   */
  close(deadlineMs = this.drainTimeoutMs): Promise<void> {
    this.closed ??= this.shutdown(deadlineMs);
    return this.closed;
  }

  private shutdown(deadlineMs: number): Promise<void> {
    return this.drain([...this.queues.values()], deadlineMs);
  }

  private async drain(queues: NotifierQueue[], deadlineMs: number): Promise<void> {
    for (const q of queues) q.beginClose();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
    });
    await Promise.race([Promise.all(queues.map((q) => q.idle())), deadline]);
    clearTimeout(timer);
    await Promise.all(queues.map((q) => q.abort()));
  }
}
