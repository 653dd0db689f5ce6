import type { Decision } from '../domain/decision.js';
import { matchesShared, type DecisionFilter } from '../domain/decision-filter.js';
import type { IpRange } from '../domain/ip-range.js';
import { RangeSet } from '../domain/range-set.js';
import { DecisionColumns, ENDED, escapedBytes, FREE, fnv1a, LIVE } from './compact/columns.js';
import { boundsWords, Chains, rangeWords, slotRange } from './compact/chains.js';
import { SlotHeap } from './compact/slot-heap.js';
import { IdMap } from './compact/id-map.js';
import { TupleTable } from './compact/tuples.js';
import { type SlotSource, StreamBody, WireWriter } from './compact/wire-writer.js';
import { SlotLog } from './compact/slot-log.js';

/** What hides decisions from one bouncer: the allowlists that apply to it. */
export interface Visibility {
  hides(d: Decision): boolean;
  /** When present, what `hides` tests a decision's range against: the index then checks its columns directly. */
  readonly ranges?: RangeSet;
}

export interface StreamDelta {
  new: Decision[];
  deleted: Decision[];
}

/** A stream answer as slot numbers, in ascending id order: written as bytes by `body()`. */
export interface SlotDelta {
  new: SlotSource;
  deleted: SlotSource;
}

/** A stream answer computed at once: slot lists in ascending id order. */
export interface SlotLists {
  new: ArrayLike<number>;
  deleted: ArrayLike<number>;
}

/** A decision as the store keeps it (store/tables.ts DecisionRow; drivers may give numbers as strings). */
export interface StoredDecision {
  id: number | string;
  uuid: string;
  alert_id: number | string | null;
  seq: number | string;
  created_at: number | string;
  until: number | string;
  scenario: string;
  type: string;
  scope: string;
  value: string;
  origin: string;
  simulated: number | string | boolean;
  ip_size: number | string;
  start_ip: string;
  end_ip: string;
}

/** The query answer's slots, reused from call to call: valid until the next query. */
const scratch: number[] = [];

/**
 * Every active decision, plus the recently ended ones bouncer streams still need, in memory as columns
 * (compact/columns.ts): a decision is a slot number, not an object, and its wire text is encoded once.
 * The store is the source of truth: this index is only ever fed rows read back from it (DecisionFeed),
 * in change-sequence order, so that what it serves always corresponds to a committed sequence.
 *
 * Lookups: by id (a Map), by value and by network (hash chains through the columns), by `until` (a heap
 * of the active slots), and by change sequence (the log); snapshots walk the slots in id order.
 */
export class DecisionIndex {
  private readonly cols = new DecisionColumns();
  private readonly tuples = new TupleTable();
  private readonly writer = new WireWriter(this.cols, this.tuples);
  private readonly byId = new IdMap();
  private readonly nets = new Chains(this.cols);
  private readonly expiry = new SlotHeap(this.cols);
  /** Every change applied, as (sequence, slot), in sequence order. */
  private log = new SlotLog(false);
  /** Natural expiries in `until` order (see sweep), as (until, slot, the slot's sequence then). */
  private expired = new SlotLog(true);
  private activeCount = 0;
  /** Slots in ascending id order (ids mostly arrive in order; `ordered` is false until re-sorted). */
  private order = new Int32Array(1024);
  private orderLength = 0;
  private ordered = true;
  private lastId = -Infinity;
  /** Bumped when slots move within `order` (a sort, a compaction): lazy snapshots then find their place again. */
  private orderVersion = 0;

  get size(): number {
    return this.activeCount;
  }

  get held(): number {
    return this.byId.size;
  }

  /**
   * Makes room for `n` more decisions at once (the load at start, which knows how many it reads): the arrays
   * are made once at their size instead of growing by halves and leaving each old one to the collector.
   */
  reserve(n: number): void {
    const total = this.cols.top + n;
    // 36 for a uuid, 12 for an IPv4 value, and some margin
    this.cols.reserve(total, total * 56);
    this.byId.reserve(total);
    this.nets.reserve(total);
    this.expiry.reserve(total);
    this.log.reserve(this.log.length + n);
    if (this.orderLength + n > this.order.length) {
      const o = new Int32Array(this.orderLength + n);
      o.set(this.order.subarray(0, this.orderLength));
      this.order = o;
    }
  }

  /** Gives back the room growth left unused: after the load at start, which grew everything by halves. */
  trim(): void {
    this.cols.trim();
    this.log.trim();
    this.expired.trim();
    const n = Math.max(1024, this.orderLength + Math.ceil(this.orderLength / 16));
    if (n < this.order.length * 0.8) this.order = this.order.slice(0, n);
  }

  /** Slots ever used and slots free for reuse (tests, metrics). */
  get slots(): { top: number; free: number } {
    return { top: this.cols.top, free: this.cols.freeSlots };
  }

  /** Memory the index holds: typed arrays and the arena (the tuples aside: a few per scenario). */
  get bytes(): number {
    return this.cols.bytes + this.byId.bytes + this.nets.bytes + this.log.bytes + this.expired.bytes + this.order.byteLength;
  }

  /** Every decision active at `now` (listings, tests). */
  *activeDecisions(now: number): Generator<Decision> {
    const c = this.cols;
    for (let s = 0; s < c.top; s++) if (c.state[s] === LIVE && c.until[s]! > now) yield this.decisionAt(s);
  }

  /** Active decisions at `now` counted by (origin, scenario, type, simulated): what the metrics show. */
  countActive(now: number): { origin: string; scenario: string; type: string; simulated: boolean; count: number }[] {
    const c = this.cols;
    const counts = new Float64Array(this.tuples.span);
    for (let s = 0; s < c.top; s++) if (c.state[s] === LIVE && c.until[s]! > now) counts[c.tuple[s]!]!++;
    const out = [];
    for (let t = 0; t < counts.length; t++) if (counts[t]! > 0) out.push({ ...this.tuples.get(t), count: counts[t]! });
    return out;
  }

  /** Applies a decision (a new one, or a later state of a known one). */
  apply(d: Decision, now: number): void {
    const c = this.cols;
    const s = this.slotFor(d.id);
    c.alert[s] = d.alertId ?? Number.NaN;
    c.tuple[s] = this.tuples.ref(d.origin, d.scenario, d.scope, d.type, d.simulated);
    const r = d.range;
    c.family[s] = r ? r.size : 0;
    c.prefix[s] = r ? r.prefix : 0;
    if (r) rangeWords(r, c.words, s * 4);
    else c.words.fill(0, s * 4, s * 4 + 4);
    this.settle(s, d.seq, d.createdAt, d.until, d.uuid, d.value, now);
  }

  /**
   * Applies a row as the store keeps it (bounds in fixed-width hex): what the feed reads, a million of them
   * at a restart, with no IpRange, BigInt or Decision made on the way.
   */
  applyStored(r: StoredDecision, now: number): void {
    const c = this.cols;
    const s = this.slotFor(Number(r.id));
    c.alert[s] = r.alert_id === null ? Number.NaN : Number(r.alert_id);
    c.tuple[s] = this.tuples.ref(r.origin, r.scenario, r.scope, r.type, Boolean(Number(r.simulated)));
    const size = Number(r.ip_size);
    c.family[s] = size === 4 || size === 16 ? size : 0;
    c.prefix[s] = c.family[s] === 0 ? 0 : boundsWords(r.start_ip, r.end_ip, c.words, s * 4);
    if (c.family[s] === 0) c.words.fill(0, s * 4, s * 4 + 4);
    this.settle(s, Number(r.seq), Number(r.created_at), Number(r.until), r.uuid, r.value, now);
  }

  /** The slot of decision `id`: a new one, or its current one taken out of the chains to be refilled. */
  private slotFor(id: number): number {
    const c = this.cols;
    let s = this.byId.get(id);
    if (s === undefined) {
      s = c.alloc();
      this.byId.set(id, s);
      this.appendOrder(s, id);
    } else {
      if (c.state[s] === LIVE) this.retire(s);
      this.tuples.unref(c.tuple[s]!);
    }
    c.id[s] = id;
    return s;
  }

  private settle(s: number, seq: number, created: number, until: number, uuid: string, value: string, now: number): void {
    const c = this.cols;
    c.seq[s] = seq;
    c.created[s] = created;
    c.until[s] = until;
    c.setText(s, uuid, value);
    this.log.push(seq, s);
    if (until > now) {
      c.state[s] = LIVE;
      this.activeCount++;
      this.nets.link(s);
      this.expiry.push(s);
    } else c.state[s] = ENDED;
  }

  private retire(s: number): void {
    this.cols.state[s] = ENDED;
    this.activeCount--;
    this.nets.unlink(s);
    this.expiry.remove(s);
  }

  private appendOrder(s: number, id: number): void {
    if (this.orderLength === this.order.length) {
      const o = new Int32Array(Math.ceil(this.order.length * 1.5));
      o.set(this.order);
      this.order = o;
    }
    this.order[this.orderLength++] = s;
    if (id < this.lastId) this.ordered = false;
    else this.lastId = id;
  }

  /** Sorts the slot order by id: one native sort of (id, slot) pairs packed in doubles. */
  private sortOrder(): void {
    if (this.ordered) return;
    const c = this.cols;
    const n = this.orderLength;
    const SLOT = 2 ** 22;
    let packable = c.top <= SLOT;
    for (let i = 0; i < n && packable; i++) if (c.id[this.order[i]!]! >= 2 ** 30) packable = false;
    if (packable) {
      const keys = new Float64Array(n);
      for (let i = 0; i < n; i++) keys[i] = c.id[this.order[i]!]! * SLOT + this.order[i]!;
      keys.sort();
      for (let i = 0; i < n; i++) this.order[i] = keys[i]! % SLOT;
    } else {
      const sorted = Array.from(this.order.subarray(0, n)).sort((a, b) => c.id[a]! - c.id[b]!);
      this.order.set(sorted);
    }
    this.ordered = true;
    this.orderVersion++;
    this.lastId = n > 0 ? c.id[this.order[n - 1]!]! : -Infinity;
  }

  /** The first position in `order` whose id is above `id` (order sorted). */
  private orderAfter(id: number): number {
    const c = this.cols;
    let lo = 0;
    let hi = this.orderLength;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c.id[this.order[mid]!]! <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Retires decisions whose `until` has passed, in `until` order, so that the list of natural expiries
   * stays sorted by `until`.
   */
  sweep(now: number): void {
    const c = this.cols;
    for (let s = this.expiry.peek(); s >= 0 && c.until[s]! <= now; s = this.expiry.peek()) {
      this.retire(s);
      this.expired.push(c.until[s]!, s, c.seq[s]!);
    }
  }

  /** The decision held in a slot, as an object (answers that are not written as bytes, tests). */
  decisionAt(s: number): Decision {
    const c = this.cols;
    const t = this.tuples.get(c.tuple[s]!);
    const alert = c.alert[s]!;
    return {
      id: c.id[s]!,
      uuid: c.uuidText(s),
      alertId: Number.isNaN(alert) ? null : alert,
      seq: c.seq[s]!,
      createdAt: c.created[s]!,
      until: c.until[s]!,
      scenario: t.scenario,
      type: t.type,
      scope: t.scope,
      value: c.valueText(s),
      origin: t.origin,
      simulated: t.simulated,
      range: c.family[s] === 0 ? null : slotRange(c, s),
    };
  }

  private decisions(slots: ArrayLike<number>): Decision[] {
    return Array.from(slots, (s) => this.decisionAt(s));
  }

  /** Query mode as objects: matching decisions with `until >= now`, no deduplication, ascending id. */
  query(f: DecisionFilter, now: number, view?: Visibility | null): Decision[] {
    return this.decisions(this.querySlots(f, now, view));
  }

  /** Query mode as the JSON bouncers receive (`null` when nothing matches), written from the columns. */
  queryBody(f: DecisionFilter, now: number, view?: Visibility | null): { count: number; body: Buffer } {
    const slots = this.querySlots(f, now, view);
    return { count: slots.length, body: this.writer.list(slots, now, false) };
  }

  /** Query mode's slots, in ascending id order (the array is reused by the next call). */
  querySlots(f: DecisionFilter, now: number, view?: Visibility | null): readonly number[] {
    this.sweep(now - 1);
    const out = scratch;
    out.length = 0;
    const c = this.cols;
    // the value's bytes once per query (none for the usual `ip=`)
    const key = f.value === undefined ? null : escapedBytes(f.value);
    const keep = (s: number) => {
      if (c.until[s]! < now || !matchesShared(f, this.tuples.get(c.tuple[s]!))) return;
      if ((key === null || c.valueEquals(s, key, 0, key.length)) && !this.hidden(view, s)) out.push(s);
    };
    if (f.ipv4 !== undefined && f.contains) this.nets.containingV4(f.ipv4, keep);
    else if (f.range && f.contains) this.nets.containing(f.range, keep);
    else if (key !== null) this.nets.withValueHash(fnv1a(key, 0, key.length), keep);
    else {
      const r = f.range;
      for (let s = 0; s < c.top; s++) {
        if (c.state[s] !== LIVE) continue;
        if (!r || (c.family[s] === r.size && this.nets.inside(s, r))) keep(s);
      }
    }
    if (out.length > 1) out.sort((a, b) => c.id[a]! - c.id[b]!);
    return out;
  }

  /** `matches` with the shared attributes decided once per tuple: for the passes over every slot. */
  private matcher(f: DecisionFilter): (s: number) => boolean {
    const c = this.cols;
    const memo = new Int8Array(this.tuples.span);
    const key = f.value === undefined ? null : escapedBytes(f.value);
    return (s) => {
      const t = c.tuple[s]!;
      if (memo[t] === 0) memo[t] = matchesShared(f, this.tuples.get(t)) ? 1 : 2;
      return memo[t] === 1 && (key === null || c.valueEquals(s, key, 0, key.length));
    };
  }

  /** Whether `view` hides slot `s` (never a scope that is not an IP). */
  private hidden(view: Visibility | null | undefined, s: number): boolean {
    if (!view) return false;
    const c = this.cols;
    const fam = c.family[s];
    if (fam === 0) return false;
    const set = view.ranges;
    if (!set) return view.hides(this.decisionAt(s));
    if (fam === 4) {
      const start = c.words[s * 4]!;
      return set.overlapsV4(start, start + 2 ** (32 - c.prefix[s]!) - 1);
    }
    return set.hasV6 && set.overlaps(slotRange(c, s));
  }

  /** Whether `a` beats `b` for one (value, type, scope): the longest, then the newest. */
  private better(a: number, b: number): boolean {
    const c = this.cols;
    return c.until[a]! > c.until[b]! || (c.until[a] === c.until[b] && c.id[a]! > c.id[b]!);
  }

  /** Whether two slots share (value, type, scope): the key streams deduplicate on. */
  private sameKey(a: number, b: number): boolean {
    const c = this.cols;
    if (!c.sameValue(a, b)) return false;
    const ta = this.tuples.get(c.tuple[a]!);
    const tb = this.tuples.get(c.tuple[b]!);
    return ta.type === tb.type && ta.scope === tb.scope;
  }

  /** The longest active slot with s0's (value, type, scope) among those `ok` keeps, -1 for none. */
  private bestActive(ok: (s: number) => boolean, s0: number, now: number, view?: Visibility | null): number {
    // visibility depends on the value alone: a hidden key has no best decision
    if (this.hidden(view, s0)) return -1;
    const c = this.cols;
    let best = -1;
    this.nets.withValueHash(c.valueHash[s0]!, (s) => {
      if (c.until[s]! <= now || !this.sameKey(s, s0) || !ok(s)) return;
      if (best < 0 || this.better(s, best)) best = s;
    });
    return best;
  }

  /**
   * Stream `startup=true`: the best active decision per (value, type, scope) among those the filter
   * keeps. Nothing in `deleted`: a bouncer starting up holds nothing to delete.
   */
  snapshot(f: DecisionFilter, now: number, view?: Visibility | null): StreamDelta {
    const out = this.snapshotSlots(f, now, view);
    return { new: this.decisions(out.new), deleted: [] };
  }

  /**
   * A startup pull as it is written: the snapshot's next slot on each call (-1 at the end), walking the id
   * order as the body goes out, so that a million decisions never block the event loop at once and never
   * need a list of their own. What changes meanwhile has a later sequence than the cursor the pull stores:
   * the next delta carries it whether or not this walk saw it.
   */
  snapshotWalk(f: DecisionFilter, now: number, view?: Visibility | null): () => number {
    this.sweep(now);
    this.sortOrder();
    const c = this.cols;
    const ok = this.matcher(f);
    let i = 0;
    let version = this.orderVersion;
    let lastId = -Infinity;
    return () => {
      if (!this.ordered) this.sortOrder();
      if (version !== this.orderVersion) {
        i = this.orderAfter(lastId);
        version = this.orderVersion;
      }
      while (i < this.orderLength) {
        const s = this.order[i++]!;
        if (c.state[s] !== LIVE || c.until[s]! <= now || !ok(s) || this.hidden(view, s)) continue;
        if (this.nets.valueAlone(s) || this.bestActive(ok, s, now) === s) {
          lastId = c.id[s]!;
          return s;
        }
      }
      return -1;
    };
  }

  /** `snapshotWalk` taken to its end at once: a list, for tests and for a delta that resends everything. */
  snapshotSlots(f: DecisionFilter, now: number, view?: Visibility | null): { new: Int32Array; deleted: number[] } {
    const walk = this.snapshotWalk(f, now, view);
    const out = new Int32Array(this.activeCount);
    let n = 0;
    for (let s = walk(); s >= 0; s = walk()) out[n++] = s;
    return { new: out.subarray(0, n), deleted: [] };
  }

  /**
   * Stream delta since a cursor: `sinceSeq` is the last change sequence the bouncer was served and
   * `sinceTime` when. A key whose decisions changed gets its best active decision in `new`, or, when
   * none is left, its newly ended decisions in `deleted` (each once).
   *
   * `view` hides what the bouncer's allowlists cover, and `changed` holds the ranges whose allowlisting
   * changed since the cursor: keys they overlap are sent again, in `new` when visible now, else their
   * active decisions in `deleted` (the bouncer may hold them from before the allowlist).
   */
  delta(...args: Parameters<DecisionIndex['deltaSlots']>): StreamDelta {
    const out = this.deltaSlots(...args);
    return { new: this.decisions(out.new), deleted: this.decisions(out.deleted) };
  }

  /** `delta` as slots (see there). */
  deltaSlots(
    f: DecisionFilter,
    sinceSeq: number,
    sinceTime: number,
    now: number,
    view?: Visibility | null,
    changed?: readonly IpRange[] | null,
  ): SlotLists {
    this.sweep(now);
    const c = this.cols;
    const ok = this.matcher(f);
    // by value hash first, then by (value, type, scope) below
    const touched = new Map<number, number[]>();
    const touch = (s: number) => {
      if (!ok(s)) return;
      const list = touched.get(c.valueHash[s]!);
      if (list) list.push(s);
      else touched.set(c.valueHash[s]!, [s]);
    };
    const log = this.log;
    for (let i = log.after(sinceSeq); i < log.length; i++) {
      const s = log.slot[i]!;
      if (c.state[s] !== FREE && c.seq[s] === log.key[i]) touch(s);
    }
    const ex = this.expired;
    for (let i = ex.after(sinceTime); i < ex.length; i++) {
      const s = ex.slot[i]!;
      if (ex.key[i]! > now) break;
      if (c.state[s] !== FREE && c.seq[s] === ex.seq[i] && c.seq[s]! <= sinceSeq) touch(s);
    }
    const flipped = changed && changed.length > 0 ? this.flippedKeys(ok, changed, touched, now) : new Set<number>();
    if (flipped === null) return this.resendAll(f, ok, touched, now, view);
    const news: number[] = [];
    const deleted: number[] = [];
    for (const [h, all] of touched) {
      // a hash shared by two values re-sends both: harmless, and rare
      const justFlipped = flipped.has(h);
      for (const list of this.byKey(all)) {
        const best = this.bestActive(ok, list[0]!, now, view);
        if (best >= 0) {
          if (c.seq[best]! > sinceSeq || justFlipped || list.some((s) => c.until[s]! <= now)) news.push(best);
        } else {
          // a key just hidden sends its decisions; one hidden all along was never served, so its ends are not news
          for (const s of list) if (justFlipped || (c.until[s]! <= now && !this.hidden(view, s))) deleted.push(s);
        }
      }
    }
    return { new: this.sortById(news), deleted: this.sortById(deleted) };
  }

  /**
   * The answer for decisions whose audience changed since a cursor (a bouncer gained or lost a blocklist):
   * every decision `reach` selects that the filter `all` keeps is looked at; those `f` (the filter with the
   * asker's audience) keeps now go in `new` (the best of their key), the others, active or ended since the
   * cursor, in `deleted` unless their key still has a decision the asker is served.
   */
  resendAudience(
    all: DecisionFilter,
    f: DecisionFilter,
    reach: (t: { origin: string; scenario: string; type: string }) => boolean,
    sinceTime: number,
    now: number,
    view?: Visibility | null,
  ): { new: number[]; deleted: number[] } {
    this.sweep(now);
    const c = this.cols;
    const okAll = this.matcher(all);
    const ok = this.matcher(f);
    const memo = new Int8Array(this.tuples.span);
    const news = new Set<number>();
    const deleted: number[] = [];
    for (let s = 0; s < c.top; s++) {
      if (c.state[s] === FREE) continue;
      const t = c.tuple[s]!;
      if (memo[t] === 0) memo[t] = reach(this.tuples.get(t)) ? 1 : 2;
      if (memo[t] !== 1 || !okAll(s)) continue;
      const active = c.until[s]! > now;
      if (!active && c.until[s]! <= sinceTime) continue;
      const best = this.bestActive(ok, s, now, view);
      if (best >= 0) news.add(best);
      else if (!ok(s) || !active) deleted.push(s);
    }
    return { new: this.sortById([...news]), deleted: this.sortById(deleted) };
  }

  /** The earliest `until` among active decisions (Infinity when none): what is served changes then, unasked. */
  earliestUntil(now: number): number {
    this.sweep(now);
    const s = this.expiry.peek();
    return s < 0 ? Infinity : this.cols.until[s]!;
  }

  /** The ranges of the active IP and range decisions whose shared attributes pass `keep` (the `lapi` blocklist). */
  activeRanges(
    keep: (t: { origin: string; scenario: string; scope: string; type: string; simulated: boolean }) => boolean,
    now: number,
  ): IpRange[] {
    this.sweep(now);
    const c = this.cols;
    const memo = new Int8Array(this.tuples.span);
    const out: IpRange[] = [];
    for (let s = 0; s < c.top; s++) {
      if (c.state[s] !== LIVE || c.until[s]! <= now || c.family[s] === 0) continue;
      const t = c.tuple[s]!;
      if (memo[t] === 0) memo[t] = keep(this.tuples.get(t)) ? 1 : 2;
      if (memo[t] === 1) out.push(slotRange(c, s));
    }
    return out;
  }

  /** Two slot lists as one, in ascending id order, each slot once. */
  mergeById(a: ArrayLike<number>, b: readonly number[]): number[] {
    const set = new Set<number>(Array.from(a));
    for (const s of b) set.add(s);
    return this.sortById([...set]);
  }

  private sortById(slots: number[]): number[] {
    const c = this.cols;
    return slots.length > 1 ? slots.sort((a, b) => c.id[a]! - c.id[b]!) : slots;
  }

  /** Slots split by (value, type, scope). Most lists hold one slot. */
  private byKey(list: number[]): number[][] {
    if (list.length === 1) return [list];
    const groups: number[][] = [];
    for (const s of list) {
      const g = groups.find((x) => this.sameKey(x[0]!, s));
      if (g) {
        if (!g.includes(s)) g.push(s);
      } else groups.push([s]);
    }
    return groups;
  }

  /**
   * The values (by hash) whose allowlisting changed since the cursor: those the log touched that the changed
   * ranges overlap, and the active decisions these ranges overlap (added to `touched`, to be sent again).
   * Found through the network chains rather than a pass over everything; null when so many keys flip that
   * the delta should resend everything instead.
   */
  private flippedKeys(
    ok: (s: number) => boolean,
    changed: readonly IpRange[],
    touched: Map<number, number[]>,
    now: number,
  ): Set<number> | null {
    const c = this.cols;
    const flipped = new Set<number>();
    const set = new RangeSet(changed);
    const overlaps = (s: number) => c.family[s] !== 0 && set.overlaps(slotRange(c, s));
    for (const [h, list] of touched) if (list.some(overlaps)) flipped.add(h);
    // past this many (a restart that forgot what came before is `0.0.0.0/0`), one pass over everything is
    // cheaper than the chains; it answers a superset, and re-sends are harmless
    const limit = Math.max(10_000, this.activeCount / 8);
    const hit: number[] = [];
    const consider = (s: number, checked: boolean) => {
      if (c.until[s]! <= now || c.family[s] === 0 || !ok(s) || (!checked && !overlaps(s))) return true;
      return hit.push(s) <= limit;
    };
    // many small ranges (a thousand /24 items) cost more in lookups than one pass with the merged set
    const probe = changed.reduce((n, r) => n + this.nets.overlapCost(r), 0) < this.activeCount;
    let within = true;
    if (probe) {
      for (const r of changed) this.nets.overlapping(r, (s) => void (within &&= consider(s, true)));
    } else {
      for (let s = 0; s < c.top && within; s++) if (c.state[s] === LIVE) within = consider(s, false);
    }
    if (!within) return null;
    for (const s of hit) {
      const h = c.valueHash[s]!;
      flipped.add(h);
      const list = touched.get(h);
      if (!list) touched.set(h, [s]);
      else if (!list.includes(s)) list.push(s);
    }
    return flipped;
  }

  /**
   * The answer of a delta that looks at every key again: what is visible (as a startup pull would send it),
   * what the view hides, and the decisions the log saw end whose key has nothing left to show.
   */
  private resendAll(
    f: DecisionFilter,
    ok: (s: number) => boolean,
    touched: Map<number, number[]>,
    now: number,
    view: Visibility | null | undefined,
  ): SlotLists {
    const c = this.cols;
    const news: ArrayLike<number> = this.snapshotSlots(f, now, view).new;
    const deleted: number[] = [];
    if (view)
      for (let s = 0; s < c.top; s++) if (c.state[s] === LIVE && c.until[s]! > now && ok(s) && this.hidden(view, s)) deleted.push(s);
    for (const all of touched.values()) {
      for (const list of this.byKey(all)) {
        if (this.bestActive(ok, list[0]!, now, view) < 0) for (const s of list) if (c.until[s]! <= now) deleted.push(s);
      }
    }
    return { new: news, deleted: this.sortById(deleted) };
  }

  /** A stream answer's body, produced in chunks as the reader takes them (see StreamBody). */
  body(out: SlotDelta, now: number): StreamBody {
    return new StreamBody(this.writer, [out.new, out.deleted], now);
  }

  /**
   * Forgets decisions ended before `before` (their slots are reused) and compacts the change log. A bouncer
   * that last pulled before `before` cannot get an exact delta any more: the stream route gives it the full
   * state. A slot in a stream answer still being written was active when the answer was made, so it cannot
   * be freed before `before` passes its end: the grace (a day) is far longer than any pull.
   */
  forget(before: number): void {
    const c = this.cols;
    let freed = 0;
    for (let s = 0; s < c.top; s++) {
      if (c.state[s] !== ENDED || c.until[s]! >= before) continue;
      this.byId.delete(c.id[s]!);
      this.tuples.unref(c.tuple[s]!);
      c.release(s);
      freed++;
    }
    if (freed > 0) {
      let n = 0;
      for (let i = 0; i < this.orderLength; i++) if (c.state[this.order[i]!] !== FREE) this.order[n++] = this.order[i]!;
      this.orderLength = n;
      this.orderVersion++;
    }
    this.log = this.log.keep((s, key) => c.state[s] !== FREE && c.seq[s] === key);
    this.expired = this.expired.keep((s, _key, seq) => c.state[s] !== FREE && c.seq[s] === seq);
  }
}
