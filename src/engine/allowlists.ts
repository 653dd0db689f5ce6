import type { Logger } from 'pino';
import {
  EMPTY_STATE,
  instanceWideLists,
  itemLive,
  listsCovering,
  matchingItems,
  rangeKey,
  subscriptionCovers,
  reasonOf,
  type AllowlistState,
  type Entity,
  type Subscriber,
} from '../domain/allowlist.js';
import { baseName } from '../domain/bouncer-name.js';
import type { Decision } from '../domain/decision.js';
import { RangeSet } from '../domain/range-set.js';
import { parseIpOrRange, type IpRange } from '../domain/ip-range.js';
import { loadAllowlistState } from '../store/allowlist-state.js';
import { allowlistsVersion } from '../store/allowlists.js';
import type { Db } from '../store/db.js';
import { SingleFlight } from './single-flight.js';
import { NO_LAPI_FILTER, type LapiListFilter } from '../domain/blocklist.js';
import { BlocklistAudience, type AudienceTest } from './blocklist-audience.js';

/** What changed in who a blocklist pair reaches, and when (the allowlists version of the load that saw it). */
interface PairEvent {
  at: number;
  version: number;
  /** A pair key, or `lapi` for the built-in list's subscribers. */
  key: string;
  before: BlocklistAudience;
  after: BlocklistAudience;
}

/** Blocklist pairs whose reach changed for an entity since a cursor: re-sent by the stream; `all` when unknown. */
export type AudienceFlips = ReadonlySet<string> | 'all';

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

/** Who one list applied to at some point: its subscriptions, and the members of the tags among them. */
interface Coverage {
  subscribers: readonly Subscriber[];
  /** `kind:name` of the machines and bouncers holding each tag the list is subscribed through. */
  members: ReadonlyMap<string, ReadonlySet<string>>;
}

function covers(c: Coverage | undefined, e: Entity): boolean {
  if (!c) return false;
  const names = e.kind === 'bouncer' ? [e.name, baseName(e.name)] : [e.name];
  const tags = new Set<string>();
  for (const [tag, who] of c.members) if (names.some((n) => who.has(`${e.kind}:${n}`))) tags.add(tag);
  return c.subscribers.some((s) => subscriptionCovers(s, e, tags));
}

/** An item whose effect changed: what it covered, and who its list applied to before and after. */
interface ChangeEvent {
  at: number;
  /** The allowlists version (the store's counter) whose load showed the change. */
  version: number;
  range: IpRange;
  before: Coverage | undefined;
  after: Coverage | undefined;
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
  /** The version of the first load: this node knows nothing of the changes before it. */
  private firstVersion = -1;
  private signatures = new Map<string, Signed>();
  private events: ChangeEvent[] = [];
  private views = new Map<string, AllowlistView | null>();
  private audience: BlocklistAudience;
  private audiences = new Map<string, AudienceTest>();
  private pairEvents: PairEvent[] = [];
  /** Pairs whose last subscription ended, with who they reached then: their ended decisions still go to those. */
  private retired = new Map<string, { at: number; audience: BlocklistAudience }>();
  /** The next time an item expires: views are rebuilt then. */
  private nextExpiry = Infinity;
  private readonly flight = new SingleFlight(() => this.load());
  private readonly now: () => number;

  constructor(
    private readonly db: Db,
    private readonly opts: { pollMs: number; graceMs: number; log?: Logger | undefined; now?: () => number; lapiFilter?: LapiListFilter },
  ) {
    this.now = opts.now ?? Date.now;
    this.audience = new BlocklistAudience(EMPTY_STATE, this.lapiFilter);
  }

  private get lapiFilter(): LapiListFilter {
    return this.opts.lapiFilter ?? NO_LAPI_FILTER;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.flight.every(this.opts.pollMs, (err) => this.opts.log?.error({ err }, 'allowlists: reload failed'));
  }

  async stop(): Promise<void> {
    await this.flight.stop();
  }

  get current(): AllowlistState {
    return this.state;
  }

  /** Reloads when the store changed since the last load; single-flight, as the decision feed's catch-up. */
  refresh(): Promise<void> {
    return this.flight.run();
  }

  private async load(): Promise<void> {
    const version = await allowlistsVersion(this.db);
    if (version === this.version) return;
    const state = await loadAllowlistState(this.db);
    const now = this.now();
    if (this.firstVersion < 0) {
      this.firstVersion = version;
      this.signatures = signatures(state);
    } else {
      this.record(state, version, now);
    }
    const audience = new BlocklistAudience(state, this.lapiFilter);
    if (this.version >= 0) this.recordAudience(this.audience, audience, version, now);
    this.audience = audience;
    this.audiences.clear();
    this.state = state;
    this.version = version;
    this.views.clear();
    this.nextExpiry = nextExpiry(state, now);
  }

  /** Notes every item whose effect differs from the last load. */
  private record(state: AllowlistState, version: number, now: number): void {
    const next = signatures(state);
    for (const [id, s] of next) {
      const prev = this.signatures.get(id);
      if (prev?.sig !== s.sig) this.events.push({ at: now, version, range: s.range, before: prev?.coverage, after: s.coverage });
    }
    for (const [id, s] of this.signatures)
      if (!next.has(id)) this.events.push({ at: now, version, range: s.range, before: s.coverage, after: undefined });
    this.signatures = next;
    const horizon = now - this.opts.graceMs;
    if (this.events.length > 0 && this.events[0]!.at < horizon) this.events = this.events.filter((e) => e.at >= horizon);
  }

  private recordAudience(before: BlocklistAudience, after: BlocklistAudience, version: number, now: number): void {
    for (const key of new Set([...before.pairs.keys(), ...after.pairs.keys()]))
      if (before.signature(key) !== after.signature(key)) this.pairEvents.push({ at: now, version, key, before, after });
    for (const key of before.pairs.keys()) if (!after.pairs.has(key)) this.retired.set(key, { at: now, audience: before });
    for (const [key, r] of this.retired) if (after.pairs.has(key) || r.at < now - this.opts.graceMs) this.retired.delete(key);
    if (before.lapiSignature() !== after.lapiSignature()) this.pairEvents.push({ at: now, version, key: 'lapi', before, after });
    const horizon = now - this.opts.graceMs;
    if (this.pairEvents.length > 0 && this.pairEvents[0]!.at < horizon) this.pairEvents = this.pairEvents.filter((e) => e.at >= horizon);
  }

  /** Which blocklist decisions an entity is served. */
  audienceFor(e: Entity): AudienceTest {
    const key = `${e.kind}\u0000${e.name}`;
    let test = this.audiences.get(key);
    if (test === undefined) {
      test = this.audience.testFor(e, new Map([...this.retired].map(([k, r]) => [k, r.audience])));
      if (this.audiences.size > 10_000) this.audiences.clear();
      this.audiences.set(key, test);
    }
    return test;
  }

  /**
   * The blocklist pairs whose reach of this entity may have changed since a stream cursor's version (a
   * subscription, a remediation or a tag changed): their decisions are sent again. Null when there are none.
   */
  audienceFlipsSince(e: Entity, sinceVersion: number): AudienceFlips | null {
    if (sinceVersion < this.firstVersion) return this.audience.pairs.size > 0 || e.kind === 'integration' ? 'all' : null;
    const out = new Set<string>();
    for (let i = this.pairEvents.length - 1; i >= 0 && this.pairEvents[i]!.version > sinceVersion; i--) {
      const ev = this.pairEvents[i]!;
      if (ev.key === 'lapi') {
        if (e.kind === 'integration') return 'all';
        continue;
      }
      if (ev.before.reaches(ev.key, e) || ev.after.reaches(ev.key, e)) out.add(ev.key);
    }
    return out.size === 0 ? null : out;
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

  /** The allowlists version this node serves: a stream cursor records it. */
  get servedVersion(): number {
    return Math.max(this.version, 0);
  }

  /**
   * Ranges whose allowlisting for this entity may have changed since a stream cursor (the allowlists
   * version and the time it was served): items added, removed or re-subscribed after that version, of
   * lists that applied to the entity before or after the change, and items that expired since. The
   * version is the store's, so a cursor written by another node is read right. Null when there are none.
   */
  changedSince(e: Entity, sinceVersion: number, sinceTime: number, now = this.now()): IpRange[] | null {
    // changes from before this node started are unknown: every decision is looked at again, once
    if (sinceVersion < this.firstVersion) return EVERYWHERE;
    const out: IpRange[] = [];
    for (let i = this.events.length - 1; i >= 0 && this.events[i]!.version > sinceVersion; i--) {
      const ev = this.events[i]!;
      if (covers(ev.before, e) || covers(ev.after, e)) out.push(ev.range);
    }
    for (const item of this.state.items) {
      if (item.expiresAt === null || item.expiresAt <= sinceTime || item.expiresAt > now) continue;
      if (covers(this.signatures.get(item.id)?.coverage, e)) out.push(item.range);
    }
    if (out.length === 0) return null;
    // an item changed several times counts once
    return [...new Map(out.map((r) => [rangeKey(r), r])).values()];
  }
}

const EVERYWHERE: IpRange[] = [parseIpOrRange('0.0.0.0/0'), parseIpOrRange('::/0')];

function nextExpiry(state: AllowlistState, now: number): number {
  let next = Infinity;
  for (const i of state.items) if (i.expiresAt !== null && i.expiresAt > now && i.expiresAt < next) next = i.expiresAt;
  return next;
}

/**
 * What decides an item's effect: its range, its expiry, and who its list applies to (the list's
 * subscriptions, with the members of the tags it is subscribed through).
 */
interface Signed {
  sig: string;
  range: IpRange;
  coverage: Coverage;
}

function signatures(state: AllowlistState): Map<string, Signed> {
  const members = new Map<string, Set<string>>();
  for (const t of state.tags) {
    const m = members.get(t.tag);
    if (m) m.add(`${t.kind}:${t.name}`);
    else members.set(t.tag, new Set([`${t.kind}:${t.name}`]));
  }
  const byList = new Map<string, { who: string[]; coverage: { subscribers: Subscriber[]; members: Map<string, ReadonlySet<string>> } }>();
  for (const s of state.subscribers) {
    let entry = byList.get(s.allowlistId);
    if (!entry) byList.set(s.allowlistId, (entry = { who: [], coverage: { subscribers: [], members: new Map() } }));
    entry.coverage.subscribers.push(s);
    if (s.entityType === 'tag') {
      const m = members.get(s.entityId) ?? new Set<string>();
      entry.coverage.members.set(s.entityId, m);
      entry.who.push(`tag:${s.entityId}=${[...m].sort().join(',')}`);
    } else {
      entry.who.push(`${s.entityType}:${s.entityId}`);
    }
  }
  const nobody: Coverage = { subscribers: [], members: new Map() };
  const out = new Map<string, Signed>();
  for (const i of state.items) {
    const entry = byList.get(i.allowlistId);
    const subs = entry ? entry.who.sort().join('|') : '';
    out.set(i.id, { sig: `${rangeKey(i.range)}#${i.expiresAt}#${subs}`, range: i.range, coverage: entry?.coverage ?? nobody });
  }
  return out;
}
