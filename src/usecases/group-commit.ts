import { isTransientConflict } from '../store/dialect.js';
import {
  type AlertInsert,
  type InsertResult,
  insertAlertBatch,
  insertAlerts,
  insertAlertsTogether,
  type Settled,
} from '../store/alert-insert.js';
import type { Db } from '../store/db.js';

/** How a group commit stores its work: a batch in one transaction, or one item alone in its own. */
export interface BatchWriter<I, O> {
  /**
   * Runs `items` in one transaction, all or nothing, in as few statements as it can: the fast path, tried
   * first. Throws if anything fails (nothing stored); `batch` then tells the items apart.
   */
  together?(items: I[]): Promise<O[]>;
  /**
   * Runs `items` in one transaction, each in its own savepoint: its outcome per item, in order, once
   * committed. Throws when the transaction as a whole failed (nothing of it stored).
   */
  batch(items: I[]): Promise<Settled<O>[]>;
  /** Runs one item in its own transaction: a batch of one, and the retry of an item whose batch failed. */
  single(item: I): Promise<O>;
  /** What an item weighs against `maxWeight` (rows, say). */
  weight(item: I): number;
  /** A batch stops growing at this weight; an item heavier than it runs alone. */
  maxWeight: number;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

/**
 * Group commit: concurrent writes that arrive while a transaction runs wait for it to end, then share
 * the next transaction, up to `maxWeight`. Each caller still gets its own answer, only once the commit that
 * holds its rows has succeeded, and one item's failure never fails another: a batch is first written
 * together, all or nothing (`together`); if that fails, again with a savepoint per item (`batch`), where an
 * item whose part fails is rolled back alone and gets its error while the others commit; if that
 * transaction fails as a whole (its commit), each item is tried once more in a transaction of its own.
 * Transactions run one at a time.
 */
export class GroupCommit<I, O> {
  private readonly queue: Waiting<I, O>[] = [];
  private draining: Promise<void> | undefined;
  /** Told the items of each transaction that committed (metrics/lapis.ts: batch sizes). */
  onCommit: ((items: readonly I[]) => void) | undefined;

  constructor(private readonly writer: BatchWriter<I, O>) {}

  /** Stores `item` with whatever else is waiting; resolves once it is committed, rejects with its own error. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** Resolves once nothing is waiting or running (items submitted meanwhile included). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    // started on the next turn of the event loop, so that the requests read in this one join the first batch
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.queue.length > 0) await this.run(this.take());
    } finally {
      this.draining = undefined;
    }
  }

  /** The oldest waiting items, up to `maxWeight` (the first one whatever it weighs). */
  private take(): Waiting<I, O>[] {
    let weight = this.writer.weight(this.queue[0]!.item);
    let n = 1;
    while (n < this.queue.length) {
      const w = this.writer.weight(this.queue[n]!.item);
      if (weight + w > this.writer.maxWeight) break;
      weight += w;
      n++;
    }
    return this.queue.splice(0, n);
  }

  /** Never throws: every item of the batch is resolved or rejected. */
  private async run(batch: Waiting<I, O>[]): Promise<void> {
    if (batch.length > 1 && this.writer.together) {
      try {
        const items = batch.map((w) => w.item);
        const values = await this.writer.together(items);
        this.onCommit?.(items);
        batch.forEach((w, i) => {
          w.resolve(values[i]!);
        });
        return;
      } catch {
        // some item failed, or the commit: nothing of it is stored, and the items are told apart below
      }
    }
    if (batch.length > 1) {
      let outcomes: Settled<O>[] | undefined;
      try {
        outcomes = await this.writer.batch(batch.map((w) => w.item));
      } catch {
        // the transaction failed as a whole: nothing of it is stored, each item is tried again alone below
      }
      if (outcomes) {
        // the items rolled back to their savepoint are not part of what committed
        this.onCommit?.(batch.filter((_, i) => outcomes[i]!.ok).map((w) => w.item));
        batch.forEach((w, i) => {
          const o = outcomes[i]!;
          if (o.ok) w.resolve(o.value);
          else w.reject(o.error);
        });
        return;
      }
    }
    for (const w of batch) {
      for (let attempt = 1; ; attempt++) {
        try {
          const value = await this.writer.single(w.item);
          this.onCommit?.([w.item]);
          w.resolve(value);
          break;
        } catch (error) {
          // a deadlock victim was rolled back whole (the retention flush deleting alerts, on MariaDB): run it again
          if (attempt < SINGLE_ATTEMPTS && isTransientConflict(error)) {
            await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 10));
            continue;
          }
          w.reject(error);
          break;
        }
      }
    }
  }
}

/** How many times an item alone runs when the engine picks its transaction as a deadlock victim. */
const SINGLE_ATTEMPTS = 4;

/**
 * A batch is bounded by the rows it writes (an alert and each of its decisions): 2,000 rows keep one
 * transaction to milliseconds, so the CLI and other nodes wait no longer for the write lock than they do
 * behind a bulk import's 1,000-row statements; a request above it (`cscli decisions import`) runs alone.
 */
export const MAX_BATCH_ROWS = 2000;

/** The group commit of `POST /v1/alerts`: requests' alerts, stored by store/alert-insert.ts. */
export type AlertCommits = GroupCommit<AlertInsert, InsertResult>;

export function alertCommits(db: Db): AlertCommits {
  return new GroupCommit<AlertInsert, InsertResult>({
    together: (items) => insertAlertsTogether(db, items),
    batch: (items) => insertAlertBatch(db, items),
    single: (item) => insertAlerts(db, item.alerts, item.owner, item.now),
    weight: (item) =>
      Math.max(
        1,
        item.alerts.reduce((n, a) => n + 1 + a.decisions.length, 0),
      ),
    maxWeight: MAX_BATCH_ROWS,
  });
}
