import type { Logger } from 'pino';
import { garbageMessage, isGarbage, parseFeedText } from '../domain/feed-text.js';
import type { Db } from '../store/db.js';
import { releaseLease, tryLease } from '../store/leases.js';
import { FeedError, fetchFeed, type FeedFetchOptions } from './feed-fetch.js';

/** A blocklist that follows a URL, as the job needs it. */
export interface FeedSource {
  id: string;
  name: string;
  url: string;
  refreshMs: number;
  etag: string | null;
  lastModified: string | null;
  checkedAt: number | null;
}

/** What the job needs from the blocklist store; the store decides which lists are due. */
export interface FeedStore {
  /** Lists that follow a URL and whose last check is at least `refreshMs` old (or that were never checked). */
  dueFeeds(now: number): Promise<FeedSource[]>;
  /** Replaces the list's content atomically with these values (already validated) and records success. */
  replaceContent(
    id: string,
    values: string[],
    meta: { etag: string | null; lastModified: string | null; at: number },
  ): Promise<{ added: number; removed: number }>;
  /** Records a check that changed nothing (304) or failed (error message; the content is kept). */
  recordCheck(id: string, meta: { at: number; error: string | null; etag?: string | null; lastModified?: string | null }): Promise<void>;
}

/** One node at a time: `hold` takes or renews the lease (false when another node has it), `release` gives it up. */
export interface JobLease {
  hold(): Promise<boolean>;
  release(): Promise<void>;
}

export interface FeedJobOptions {
  store: FeedStore;
  fetch: Omit<FeedFetchOptions, 'signal'>;
  /** How often due feeds are looked for. Default FEED_TICK_MS. */
  tickMs?: number;
  /** More values than this is an error (the content is kept). Default FEED_MAX_ENTRIES. */
  maxEntries?: number;
  /** Held before each feed, so a long run keeps it renewed; without one, every node runs the job. */
  lease?: JobLease;
  log?: Logger;
}

/** What one feed's check came to (runOnce's result, for tests and the admin API's "refresh now"). */
export type FeedOutcome =
  | { id: string; kind: 'updated'; added: number; removed: number; entries: number; skippedLines: number }
  | { id: string; kind: 'not-modified' }
  | { id: string; kind: 'failed'; error: string };

export const FEED_TICK_MS = 60_000;
export const FEED_MAX_ENTRIES = 1_000_000;

/**
 * Keeps URL-fed blocklists up to date: every `tickMs` it asks the store for due feeds and checks them one
 * at a time with a conditional GET. New content replaces the old atomically; a failed fetch, garbage or an
 * oversized feed is recorded as the list's error and the last good content stays. Ticks never overlap.
 */
export class FeedJob {
  private readonly tickMs: number;
  private readonly maxEntries: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<FeedOutcome[]> | undefined;
  private readonly stopping = new AbortController();

  constructor(private readonly opts: FeedJobOptions) {
    this.tickMs = opts.tickMs ?? FEED_TICK_MS;
    this.maxEntries = opts.maxEntries ?? FEED_MAX_ENTRIES;
  }

  /** Starts the timer (which keeps no process alive). A tick while a run is in flight is skipped. */
  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.runOnce().catch((err: unknown) => this.opts.log?.error({ err }, 'blocklist feeds: run failed'));
    }, this.tickMs);
    this.timer.unref();
  }

  /** Stops the timer, aborts a fetch in flight (recording nothing for it), waits for the run, gives the lease up. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopping.abort();
    await this.running?.catch(() => undefined);
    await this.opts.lease?.release().catch(() => undefined);
  }

  /** Checks every feed due at `now`, one at a time; waits for a run in flight first. Throws only if `dueFeeds` does. */
  async runOnce(now = Date.now()): Promise<FeedOutcome[]> {
    while (this.running) await this.running.catch(() => undefined);
    const run = this.runDue(now);
    this.running = run;
    try {
      return await run;
    } finally {
      this.running = undefined;
    }
  }

  private async runDue(now: number): Promise<FeedOutcome[]> {
    const { lease, store } = this.opts;
    const outcomes: FeedOutcome[] = [];
    if (this.stopping.signal.aborted || (lease && !(await lease.hold()))) return outcomes;
    for (const feed of await store.dueFeeds(now)) {
      if (this.stopping.signal.aborted || (lease && !(await lease.hold()))) break;
      const outcome = await this.check(feed, now);
      if (outcome) outcomes.push(outcome);
    }
    return outcomes;
  }

  /** One feed: fetch, judge, store. Store errors are logged and the run goes on with the next feed. */
  private async check(feed: FeedSource, at: number): Promise<FeedOutcome | undefined> {
    const { store, log } = this.opts;
    const fail = async (error: string, err?: unknown): Promise<FeedOutcome> => {
      log?.warn({ err, blocklist: feed.id }, `blocklist feed '${feed.name}': ${error}`);
      // no ETag or date of what failed: the next check stays conditional on the last good content
      await store.recordCheck(feed.id, { at, error });
      return { id: feed.id, kind: 'failed', error };
    };
    try {
      let got: Awaited<ReturnType<typeof fetchFeed>>;
      try {
        got = await fetchFeed(feed.url, feed, { ...this.opts.fetch, signal: this.stopping.signal });
      } catch (err) {
        if (err instanceof FeedError && err.kind === 'aborted') return undefined;
        return await fail(err instanceof FeedError ? err.message : String(err), err);
      }
      if (got.kind === 'not-modified') {
        await store.recordCheck(feed.id, {
          at,
          error: null,
          ...(got.etag && { etag: got.etag }),
          ...(got.lastModified && { lastModified: got.lastModified }),
        });
        return { id: feed.id, kind: 'not-modified' };
      }
      if (got.text.trim() === '') return await fail('feed is empty (no lines at all)');
      const parsed = parseFeedText(got.text, { maxEntries: this.maxEntries });
      if (parsed.values.length > this.maxEntries) return await fail(`feed has more than ${this.maxEntries} entries`);
      if (isGarbage(parsed)) return await fail(garbageMessage(parsed));
      const { added, removed } = await store.replaceContent(feed.id, parsed.values, { etag: got.etag, lastModified: got.lastModified, at });
      const skipped = parsed.invalid.length;
      if (added + removed > 0)
        log?.info({ blocklist: feed.id, added, removed }, `blocklist feed '${feed.name}': ${added} added, ${removed} removed`);
      if (skipped > 0) {
        const first = parsed.invalid[0]!;
        log?.warn(
          { blocklist: feed.id, skipped },
          `blocklist feed '${feed.name}': ${skipped} invalid lines skipped (first at line ${first.line})`,
        );
      }
      return { id: feed.id, kind: 'updated', added, removed, entries: parsed.values.length, skippedLines: skipped };
    } catch (err) {
      log?.error({ err, blocklist: feed.id }, `blocklist feed '${feed.name}': could not record the check`);
      return undefined;
    }
  }
}

/**
 * A JobLease on the `leases` table: `hold` takes or renews `name` for `ttlMs` under a random holder.
 * `ttlMs` must outlast one feed's check (the fetch timeout plus the store's write), as the lease is renewed between feeds.
 */
export function dbLease(db: Db, name: string, ttlMs: number): JobLease {
  const holder = crypto.randomUUID();
  return {
    hold: () => tryLease(db, name, holder, ttlMs),
    release: () => releaseLease(db, name, holder),
  };
}
