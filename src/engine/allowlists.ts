import type { Logger } from 'pino';
import {
  EMPTY_STATE,
  instanceWideLists,
  itemLive,
  listsCovering,
  matchingItems,
  RangeSet,
  rangeKey,
  reasonOf,
  type AllowlistState,
  type Entity,
} from '../domain/allowlist.js';
import type { Decision } from '../domain/decision.js';
import type { IpRange } from '../domain/ip-range.js';
import { allowlistsVersion, loadAllowlistState } from '../store/allowlists.js';
import type { Db } from '../store/db.js';

/**
 * How far back a stream delta looks for allowlist changes, beyond its cursor: another node applies a
 * change up to one poll later than the node that made it, so a pull served in between must not
 * count as having seen it. Re-sending a decision (in `new` or `deleted`) is harmless; missing one is not.
 */
export const CHANGE_SLACK_MS = 5000;

/** What one machine or bouncer is covered by: the live items of the lists that apply to it. */
export class AllowlistView {
  readonly ranges: RangeSet;

  constructor(
    private readonly state: AllowlistState,
    readonly lists: ReadonlySet<string>,
    now: number,
  ) {
    this.ranges = new RangeSet(state.items.filter((i) => lists.has(i.allowlistId) && itemLive(i, now)).map((i) => i.range));
  }

  /** Whether a decision's value is allowlisted for this entity (never for scopes that are not IPs). */
  hides(d: Decision): boolean {
    return d.range !== null && this.ranges.overlaps(d.range);
  }

  /** The reasons a value is allowlisted (`1.2.3.0/24 from office (HQ)`), empty when it is not. */
  reasons(r: IpRange, now: number): string[] {
    return this.ranges.overlaps(r) ? matchingItems(this.state, r, this.lists, now).map(reasonOf) : [];
  }
}

interface ChangeEvent {
  at: number;
  range: IpRange;
}

/**
 * The allowlists as this node holds them, in step with the store: reloaded whole when the store's
 * allowlists version moves (after a local write, and on a poll for the CLI's and other nodes' writes).
 * It also remembers when each item's effect changed (added, removed, expiry moved, subscriptions or
 * tags changed), so that a bouncer's stream delta can re-send what was hidden or shown since its cursor.
 */
export class AllowlistCache {
  private state: AllowlistState = EMPTY_STATE;
  private version = -1;
  private signatures = new Map<string, { sig: string; range: IpRange }>();
  private events: ChangeEvent[] = [];
  private views = new Map<string, AllowlistView | null>();
  /** The next time an item expires: views are rebuilt then. */
  private nextExpiry = Infinity;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(
    private readonly db: Db,
    private readonly opts: { pollMs: number; graceMs: number; log?: Logger | undefined; now?: () => number },
  ) {
    this.now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((err) => this.opts.log?.error({ err }, 'allowlists: reload failed'));
    }, this.opts.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
    await this.queued?.catch(() => undefined);
  }

  get current(): AllowlistState {
    return this.state;
  }

  /** Reloads when the store changed since the last load; single-flight, as the decision feed's catch-up. */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (!this.running) {
      this.running = this.load().finally(() => (this.running = undefined));
      return this.running;
    }
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.refresh();
    });
    return this.queued;
  }

  private async load(): Promise<void> {
    const version = await allowlistsVersion(this.db);
    if (version === this.version) return;
    const state = await loadAllowlistState(this.db);
    const now = this.now();
    this.record(state, now);
    this.state = state;
    this.version = version;
    this.views.clear();
    this.nextExpiry = nextExpiry(state, now);
  }

  /** Notes every item whose effect differs from the last load (all of them at the first load). */
  private record(state: AllowlistState, now: number): void {
    const next = signatures(state);
    for (const [id, s] of next) {
      if (this.signatures.get(id)?.sig !== s.sig) this.events.push({ at: now, range: s.range });
    }
    for (const [id, s] of this.signatures) if (!next.has(id)) this.events.push({ at: now, range: s.range });
    this.signatures = next;
    const horizon = now - this.opts.graceMs;
    if (this.events.length > 0 && this.events[0]!.at < horizon) this.events = this.events.filter((e) => e.at >= horizon);
  }

  /** The view of what covers an entity, or null when no list applies to it (the common case: nothing to filter). */
  viewFor(e: Entity, now = this.now()): AllowlistView | null {
    if (now >= this.nextExpiry) {
      this.views.clear();
      this.nextExpiry = nextExpiry(this.state, now);
    }
    const key = `${e.kind}\u0000${e.name}`;
    let view = this.views.get(key);
    if (view === undefined) {
      const lists = listsCovering(this.state, e);
      view = lists.size === 0 ? null : new AllowlistView(this.state, lists, now);
      if (this.views.size > 10_000) this.views.clear();
      this.views.set(key, view);
    }
    return view;
  }

  /** The ids of the lists that apply to the whole instance. */
  instanceWide(): Set<string> {
    return instanceWideLists(this.state);
  }

  /**
   * Ranges whose allowlisting may have changed after `since` (with CHANGE_SLACK_MS of margin): items
   * added, removed or re-subscribed, and items that expired. Null when there are none.
   */
  changedSince(since: number, now = this.now()): RangeSet | null {
    const from = since - CHANGE_SLACK_MS;
    const out: IpRange[] = [];
    for (let i = this.events.length - 1; i >= 0 && this.events[i]!.at > from; i--) out.push(this.events[i]!.range);
    for (const item of this.state.items) {
      if (item.expiresAt !== null && item.expiresAt > from && item.expiresAt <= now) out.push(item.range);
    }
    return out.length === 0 ? null : new RangeSet(out);
  }
}

function nextExpiry(state: AllowlistState, now: number): number {
  let next = Infinity;
  for (const i of state.items) if (i.expiresAt !== null && i.expiresAt > now && i.expiresAt < next) next = i.expiresAt;
  return next;
}

/**
 * What decides an item's effect: its range, its expiry, and who its list applies to (the list's
 * subscriptions, with the members of the tags it is subscribed through).
 */
function signatures(state: AllowlistState): Map<string, { sig: string; range: IpRange }> {
  const members = new Map<string, string[]>();
  for (const t of state.tags) {
    const m = members.get(t.tag);
    if (m) m.push(`${t.kind}:${t.name}`);
    else members.set(t.tag, [`${t.kind}:${t.name}`]);
  }
  const bySubs = new Map<string, string[]>();
  for (const s of state.subscribers) {
    const who = s.entityType === 'tag' ? `tag:${s.entityId}=${(members.get(s.entityId) ?? []).sort().join(',')}` : `${s.entityType}:${s.entityId}`;
    const list = bySubs.get(s.allowlistId);
    if (list) list.push(who);
    else bySubs.set(s.allowlistId, [who]);
  }
  const out = new Map<string, { sig: string; range: IpRange }>();
  for (const i of state.items) {
    const subs = (bySubs.get(i.allowlistId) ?? []).sort().join('|');
    out.set(i.id, { sig: `${rangeKey(i.range)}#${i.expiresAt}#${subs}`, range: i.range });
  }
  return out;
}
