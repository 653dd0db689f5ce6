import { Readable } from 'node:stream';
import type { StreamBody } from '../engine/compact/wire-writer.js';

/**
 * Builds the chunks of every stream body being sent, within a time budget per turn of the event loop.
 * Each reader asks for its next chunk when its socket drains; ten bouncers pulling a million decisions
 * at once would otherwise have their chunks built back to back in one turn, and a query would wait for
 * all of them. Jobs left when the budget runs out go on in the next turn (setImmediate), after timers
 * and I/O have had theirs.
 */
export class StreamPump {
  private queue: (() => void)[] = [];
  private scheduled = false;

  constructor(
    private readonly chunkBytes = 64 * 1024,
    private readonly budgetMs = 3,
  ) {}

  /** A byte stream of `body`: a chunk is built when the reader wants one, never ahead of it. */
  readable(body: StreamBody): Readable {
    const stream: Readable = new Readable({
      highWaterMark: this.chunkBytes,
      read: () => this.enqueue(() => void stream.push(body.next(this.chunkBytes))),
    });
    return stream;
  }

  private enqueue(job: () => void): void {
    this.queue.push(job);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }

  private readonly run = (): void => {
    const start = performance.now();
    let i = 0;
    // a job may queue the next chunk of its stream at once (its reader still wants more): it joins this turn's queue
    while (i < this.queue.length && (i === 0 || performance.now() - start < this.budgetMs)) this.queue[i++]!();
    this.queue = this.queue.slice(i);
    if (this.queue.length > 0) setImmediate(this.run);
    else this.scheduled = false;
  };
}
