/**
 * Runs a task one at a time: a call while it runs shares one more run after it, so whoever awaits
 * `run()` sees a run that started after the call (and so every commit made before it).
 */
export class SingleFlight {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly task: () => Promise<void>) {}

  run(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (!this.running) {
      this.running = this.task().finally(() => (this.running = undefined));
      return this.running;
    }
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.run();
    });
    return this.queued;
  }

  /** Also runs the task every `ms` until `stop()` (a timer that keeps no process alive); `onError` hears of each failure. */
  every(ms: number, onError: (err: unknown) => void): void {
    this.timer = setInterval(() => {
      this.run().catch(onError);
    }, ms);
    this.timer.unref();
  }

  /** Stops the timer and refuses further runs, once the one in flight (and the one queued) has finished. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopped = true;
    await this.running?.catch(() => undefined);
    await this.queued?.catch(() => undefined);
  }
}
