import type { Logger } from 'pino';
import type { Db } from '../store/db.js';
import { changesSince, countLiveSince, currentSequence, liveSinceBySequence } from '../store/decisions.js';
import type { DecisionRow } from '../store/tables.js';
import { DecisionIndex } from './decision-index.js';
import { SingleFlight } from './single-flight.js';

/** Rows read per query while catching up. */
const PAGE = 5000;
/** Rows read per query while loading at start: each page is applied, then dropped. */
const LOAD_PAGE = 20_000;

export interface FeedOptions {
  /** How often to look for writes made by other processes (the CLI, other nodes). */
  pollMs: number;
  /** How long expired decisions stay available to stream deltas. */
  graceMs: number;
  log?: Logger | undefined;
  now?: () => number;
}

/**
 * Keeps a DecisionIndex in step with the store by following the decisions' change sequence.
 * Local writes call `catchUp()` after committing; a timer catches up on everyone else's.
 * Catch-ups are single-flight: concurrent callers share the running one, and one more runs after it
 * when asked for meanwhile, so a caller that awaits `catchUp()` sees every commit made before its call.
 */
export class DecisionFeed {
  readonly index = new DecisionIndex();
  /** Every row with a sequence up to this one is in the index. */
  servedSeq = 0;
  private cursor = { seq: 0, id: 0 };
  private readonly flight = new SingleFlight(() => this.run());
  private lastForget = 0;
  private readonly now: () => number;
  /**
   * Told, for each change (a transaction's sequence) a catch-up applies, the milliseconds since its write:
   * metrics/lapis.ts's propagation lag. Unset, the catch-up does nothing more.
   */
  onChangeApplied: ((ms: number) => void) | undefined;

  constructor(
    private readonly db: Db,
    private readonly opts: FeedOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * Loads active and recently ended decisions in change-sequence order, one page at a time (a page is
   * applied, then dropped: a million decisions never exist as a million objects), then follows changes.
   */
  async start(): Promise<void> {
    const seq = await currentSequence(this.db);
    const since = this.now() - this.opts.graceMs;
    // the arrays made once at their size: a compact build, nothing left behind for the collector
    this.index.reserve(await countLiveSince(this.db, since));
    for (let after = { seq: 0, id: 0 }; ; ) {
      const page = await liveSinceBySequence(this.db, since, after, LOAD_PAGE);
      const now = this.now();
      for (const d of page) this.index.applyStored(d, now);
      if (page.length < LOAD_PAGE) break;
      const last = page[page.length - 1]!;
      after = { seq: Number(last.seq), id: Number(last.id) };
    }
    this.index.trim();
    // sequences at or below `seq` were committed before it was read: everything is loaded up to it (rows
    // committed since, read above or not, come again in the catch-up: applying a row twice is harmless)
    this.cursor = { seq, id: Number.MAX_SAFE_INTEGER };
    this.servedSeq = seq;
    await this.catchUp();
    this.flight.every(this.opts.pollMs, (err) => this.opts.log?.error({ err }, 'decision feed: catch-up failed'));
  }

  /** Stops following the store, once a catch-up in flight has finished (the store is closed next). */
  async stop(): Promise<void> {
    await this.flight.stop();
  }

  /** Reads and applies every change committed before this call. */
  catchUp(): Promise<void> {
    return this.flight.run();
  }

  private async run(): Promise<void> {
    const pages: DecisionRow[][] = [];
    let cursor = this.cursor;
    for (;;) {
      const page = await changesSince(this.db, cursor, PAGE);
      if (page.length > 0) {
        pages.push(page);
        const last = page[page.length - 1]!;
        cursor = { seq: Number(last.seq), id: Number(last.id) };
      }
      if (page.length < PAGE) break;
    }
    // applied in one synchronous step: a request never sees half of a catch-up
    const now = this.now();
    for (const page of pages) for (const d of page) this.index.applyStored(d, now);
    if (this.onChangeApplied) observeChanges(pages, now, this.onChangeApplied);
    this.cursor = cursor;
    this.servedSeq = Math.max(this.servedSeq, cursor.seq);
    if (now - this.lastForget > 60_000) {
      this.lastForget = now;
      this.index.forget(now - this.opts.graceMs);
    }
  }
}

/**
 * One observation per change sequence (rows come in sequence order): `now` less the change's write time,
 * which the row carries: `created_at` for a decision it created, `until` for one it ended (an expiry sets
 * `until` to its own time). A short decision that ran out between the write and this catch-up counts from
 * its `until`, a little less than its real lag.
 */
function observeChanges(pages: readonly DecisionRow[][], now: number, observe: (ms: number) => void): void {
  let seq = Number.NaN;
  for (const page of pages)
    for (const d of page) {
      const s = Number(d.seq);
      if (s === seq) continue;
      seq = s;
      const created = Number(d.created_at);
      const until = Number(d.until);
      observe(now - (until <= now ? Math.max(created, until) : created));
    }
}
