// The types the dispatcher and its queues share (kept apart so that neither imports the other's types).

/** The logger methods used here; a pino Logger fits. */
export type NotifyLogFn = (obj: object, msg: string) => void;
export interface NotifyLogger {
  debug: NotifyLogFn;
  info: NotifyLogFn;
  warn: NotifyLogFn;
  error: NotifyLogFn;
}

/**
 * `sent` and `failed` count messages (one HTTP request body, carrying one alert or a group), `retried`
 * counts attempts after the first, `dropped` counts alerts that never reached a message: the queue was
 * full, the dispatcher was closing, or close() gave up on them. `queued` is the alerts waiting now.
 */
export interface NotifyStats {
  sent: number;
  failed: number;
  retried: number;
  dropped: number;
  queued: number;
}
export type NotifyCounter = 'sent' | 'failed' | 'retried' | 'dropped';

export interface DispatcherOptions {
  logger: NotifyLogger;
  /** Alerts held per notifier; past that, new ones are dropped. Default 1000. */
  queueCapacity?: number;
  /** Delay before the first retry, doubled for each next one up to backoffCapMs. Defaults 100 and 5000. */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** How long close() lets queued notifications go out. Default 5000. */
  drainTimeoutMs?: number;
  /** Called on every counter change (e.g. to feed lapis_notifications_dropped_total); errors are ignored. */
  onCount?: (counter: NotifyCounter, notifier: string, n: number) => void;
}
