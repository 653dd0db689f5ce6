import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { itemLive } from '../domain/allowlist.js';
import type { AllowlistCache } from '../engine/allowlists.js';
import type { DecisionFeed } from '../engine/decision-feed.js';
import type { Db } from '../store/db.js';
import type { AlertCommits } from '../usecases/group-commit.js';

/** What Lapis's own families read: the index through the feed, the allowlists, the alerts' group commit, the store. */
export interface LapisSources {
  feed: DecisionFeed;
  db: Db;
  allowlists?: AllowlistCache | undefined;
  commits?: AlertCommits | undefined;
}

/** Lapis's families that `prometheus.level: aggregated` keeps: counted as things happen, no label per machine or bouncer. */
export const LAPIS_AGGREGATED = ['lapis_stream_pulls_total', 'lapis_alert_commit_batch_alerts', 'lapis_decision_change_lag_seconds'];

/** The event-loop monitor's sampling period: a timer this often, and the error of each delay it reports. */
const LOOP_RESOLUTION_MS = 10;

/** A blocklist's live items as last counted, and until when that count holds. */
interface ListCount {
  version: number;
  items: number;
  /** The next expiry of an item counted live: the count is stale from then. */
  until: number;
}

/**
 * Lapis's own families (`lapis_*`), beside upstream's in lapi.ts. Nothing here runs per bouncer query: the
 * counters are bumped by the stream pull, the group commit and the feed's catch-up, and the gauges are read
 * from structures that already exist when Prometheus scrapes.
 */
export class LapisMetrics {
  readonly streamPulls: Counter<'kind'>;
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  /** By list id: a list is counted again only once its content version moved or one of its items expired. */
  private readonly listCounts = new Map<string, ListCount>();

  constructor(registry: Registry, sources: LapisSources) {
    const registers = [registry];
    const { feed, allowlists, commits } = sources;
    this.streamPulls = new Counter({
      name: 'lapis_stream_pulls_total',
      help: 'Stream pulls answered, by kind: startup (a whole snapshot) or delta (changes since the cursor)',
      labelNames: ['kind'],
      registers,
    });
    const batches = new Histogram({
      name: 'lapis_alert_commit_batch_alerts',
      help: 'Alerts written per group-commit transaction of POST /v1/alerts',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000],
      registers,
    });
    if (commits)
      commits.onCommit = (items) => {
        if (items.length > 0) batches.observe(items.reduce((n, i) => n + i.alerts.length, 0));
      };
    const lag = new Histogram({
      name: 'lapis_decision_change_lag_seconds',
      help: "Seconds from a decision change's write to this node applying it to its index (one per change)",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    // clocks of other hosts may run ahead of this one's: a negative lag is no lag
    feed.onChangeApplied = (ms) => lag.observe(Math.max(0, ms) / 1000);

    new Gauge({
      name: 'lapis_decision_index_entries',
      help: 'Decisions held in memory: active, or ended and kept for stream deltas',
      labelNames: ['state'],
      registers,
      collect() {
        const { size, held } = feed.index;
        this.set({ state: 'active' }, size);
        this.set({ state: 'ended' }, held - size);
      },
    });
    new Gauge({
      name: 'lapis_decision_index_bytes',
      help: "Bytes of the decision index's columns, arena, maps and logs",
      registers,
      collect() {
        this.set(feed.index.bytes);
      },
    });
    const loop = this.loop;
    // the monitor records whole timer intervals: the delay is what exceeds the resolution
    const delay = (ns: number) => Math.max(0, ns / 1e9 - LOOP_RESOLUTION_MS / 1000);
    new Gauge({
      name: 'lapis_event_loop_delay_seconds',
      help: 'Event-loop delay since the previous scrape: the longest (max) and the 99th percentile (p99)',
      labelNames: ['stat'],
      registers,
      // perf_hooks records nothing for the first interval after a reset: a delay that starts within
      // LOOP_RESOLUTION_MS of a scrape (the scrape's own work included) is not seen
      collect() {
        const sampled = loop.count > 0;
        this.set({ stat: 'max' }, sampled ? delay(loop.max) : 0);
        this.set({ stat: 'p99' }, sampled ? delay(loop.percentile(99)) : 0);
        loop.reset();
      },
    });
    if (allowlists) {
      new Gauge({
        name: 'lapis_allowlist_items',
        help: 'Live items of each allowlist (lists with none included)',
        labelNames: ['allowlist'],
        registers,
        collect() {
          this.reset();
          const { lists, items } = allowlists.current;
          const now = Date.now();
          const live = new Map<string, number>();
          for (const i of items) if (itemLive(i, now)) live.set(i.allowlistId, (live.get(i.allowlistId) ?? 0) + 1);
          for (const l of lists.values()) this.set({ allowlist: l.name }, live.get(l.id) ?? 0);
        },
      });
    }
    const blocklists = () => this.blocklists(sources.db);
    new Gauge({
      name: 'lapis_blocklist_items',
      help: 'Live items of each blocklist',
      labelNames: ['blocklist', 'kind'],
      registers,
      async collect() {
        this.reset();
        for (const r of await blocklists()) this.set({ blocklist: r.name, kind: r.kind }, r.items);
      },
    });
  }

  /** Starts sampling the event loop: while the listener that reports it is open. */
  start(): void {
    this.loop.enable();
  }

  stop(): void {
    this.loop.disable();
  }

  /**
   * Live items per blocklist, empty lists included. A count over a million items is tens of milliseconds of
   * SQLite's one connection: a list is counted again only when its content version moved or an item it counted
   * has expired since, and otherwise a scrape reads the lists' row alone.
   */
  private async blocklists(db: Db): Promise<{ name: string; kind: string; items: number }[]> {
    const now = Date.now();
    const lists = await db.selectFrom('blocklists').select(['id', 'name', 'kind', 'content_version']).execute();
    const out = [];
    for (const l of lists) {
      const version = Number(l.content_version);
      let c = this.listCounts.get(l.id);
      if (!c || c.version !== version || c.until <= now) {
        c = { version, ...(await countLive(db, l.id, now)) };
        this.listCounts.set(l.id, c);
      }
      out.push({ name: l.name, kind: l.kind, items: c.items });
    }
    for (const id of this.listCounts.keys()) if (!lists.some((l) => l.id === id)) this.listCounts.delete(id);
    return out;
  }
}

/**
 * A list's live items, as two searches of the (blocklist_id, expires_at) index: one `OR` of both conditions
 * makes SQLite walk every item of the list instead (0.6 s at a million).
 */
async function countLive(db: Db, id: string, now: number): Promise<{ items: number; until: number }> {
  const forever = await db
    .selectFrom('blocklist_items')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('blocklist_id', '=', id)
    .where('expires_at', 'is', null)
    .executeTakeFirstOrThrow();
  const timed = await db
    .selectFrom('blocklist_items')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min<number>('expires_at').as('next')])
    .where('blocklist_id', '=', id)
    .where('expires_at', '>', now)
    .executeTakeFirstOrThrow();
  const next = timed.next === null ? Number.POSITIVE_INFINITY : Number(timed.next);
  return { items: Number(forever.n) + Number(timed.n), until: next };
}
