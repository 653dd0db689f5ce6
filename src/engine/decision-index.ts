import { dedupKey, type Decision } from '../domain/decision.js';
import { matchesAttributes, type DecisionFilter } from '../domain/decision-filter.js';
import { rangeContains, type IpRange } from '../domain/ip-range.js';
import { MinHeap } from './min-heap.js';

interface LogEntry {
  seq: number;
  d: Decision;
}

/** A family's ranges by prefix length, then by network address: a lookup costs one probe per prefix length in use. */
class PrefixTable {
  private readonly byPrefix = new Map<number, Map<bigint, Set<Decision>>>();
  private prefixes: number[] = [];

  constructor(private readonly bits: number) {}

  add(d: Decision, r: IpRange): void {
    let table = this.byPrefix.get(r.prefix);
    if (!table) {
      this.byPrefix.set(r.prefix, (table = new Map()));
      this.prefixes = [...this.byPrefix.keys()].sort((a, b) => a - b);
    }
    let set = table.get(r.start);
    if (!set) table.set(r.start, (set = new Set()));
    set.add(d);
  }

  remove(d: Decision, r: IpRange): void {
    const table = this.byPrefix.get(r.prefix);
    const set = table?.get(r.start);
    if (!table || !set) return;
    set.delete(d);
    if (set.size === 0) table.delete(r.start);
  }

  /** Decisions whose range contains `q`. */
  *containing(q: IpRange): Generator<Decision> {
    for (const p of this.prefixes) {
      if (p > q.prefix) break;
      const mask = ((1n << BigInt(this.bits)) - 1n) ^ ((1n << BigInt(this.bits - p)) - 1n);
      const set = this.byPrefix.get(p)!.get(q.start & mask);
      if (set) yield* set;
    }
  }
}

export interface StreamDelta {
  new: Decision[];
  deleted: Decision[];
}

/**
 * Every active decision, plus the recently expired ones bouncer streams still need, in memory.
 * The store is the source of truth: this index is only ever fed rows read back from it (DecisionFeed),
 * in change-sequence order, so that what it serves always corresponds to a committed sequence.
 */
export class DecisionIndex {
  private readonly byId = new Map<number, Decision>();
  private readonly active = new Set<Decision>();
  private readonly byValue = new Map<string, Set<Decision>>();
  private readonly v4 = new PrefixTable(32);
  private readonly v6 = new PrefixTable(128);
  private readonly expiry = new MinHeap<Decision>((a, b) => a.until - b.until);
  /** Natural expiries, in `until` order (see sweep). */
  private expired: Decision[] = [];
  private log: LogEntry[] = [];

  get size(): number {
    return this.active.size;
  }

  get held(): number {
    return this.byId.size;
  }

  /** Every decision active at `now` (for metrics and full listings). */
  *activeDecisions(now: number): Generator<Decision> {
    for (const d of this.active) if (d.until > now) yield d;
  }

  /** Applies a row as read from the store (a new decision, or a later state of a known one). */
  apply(d: Decision, now: number): void {
    const prev = this.byId.get(d.id);
    if (prev) this.unindex(prev);
    this.byId.set(d.id, d);
    this.log.push({ seq: d.seq, d });
    if (d.until > now) {
      this.active.add(d);
      let set = this.byValue.get(d.value);
      if (!set) this.byValue.set(d.value, (set = new Set()));
      set.add(d);
      if (d.range) (d.range.size === 4 ? this.v4 : this.v6).add(d, d.range);
      this.expiry.push(d);
    }
  }

  private unindex(d: Decision): void {
    if (!this.active.delete(d)) return;
    const set = this.byValue.get(d.value);
    set?.delete(d);
    if (set?.size === 0) this.byValue.delete(d.value);
    if (d.range) (d.range.size === 4 ? this.v4 : this.v6).remove(d, d.range);
  }

  /**
   * Retires decisions whose `until` has passed. Only decisions active when applied enter the heap,
   * and they leave it in `until` order, so `expired` stays sorted by `until`.
   */
  sweep(now: number): void {
    for (let top = this.expiry.peek(); top && top.until <= now; top = this.expiry.peek()) {
      this.expiry.pop();
      if (this.byId.get(top.id) !== top || !this.active.has(top)) continue; // replaced or already retired
      this.unindex(top);
      this.expired.push(top);
    }
  }

  /** Query mode: matching decisions with `until >= now`, no deduplication, ascending id. */
  query(f: DecisionFilter, now: number): Decision[] {
    this.sweep(now - 1);
    const out: Decision[] = [];
    for (const d of this.candidates(f)) {
      if (d.until >= now && matchesAttributes(f, d)) out.push(d);
    }
    return out.sort((a, b) => a.id - b.id);
  }

  private *candidates(f: DecisionFilter): Iterable<Decision> {
    const r = f.range;
    if (r && f.contains) {
      yield* (r.size === 4 ? this.v4 : this.v6).containing(r);
      return;
    }
    const pool = f.value !== undefined ? (this.byValue.get(f.value) ?? []) : this.active;
    for (const d of pool) {
      if (!r || (d.range && rangeContains(r, d.range))) yield d;
    }
  }

  /** The longest active decision per (value, type, scope) among those the filter keeps (ties: the newest). */
  private bestActive(f: DecisionFilter, d0: Decision, now: number): Decision | undefined {
    let best: Decision | undefined;
    for (const d of this.byValue.get(d0.value) ?? []) {
      if (d.until <= now || d.type !== d0.type || d.scope !== d0.scope || !matchesAttributes(f, d)) continue;
      if (!best || d.until > best.until || (d.until === best.until && d.id > best.id)) best = d;
    }
    return best;
  }

  /** Stream `startup=true`: the best active decision per key, and one expired decision per key with none left. */
  snapshot(f: DecisionFilter, now: number): StreamDelta {
    this.sweep(now);
    const best = new Map<string, Decision>();
    for (const d of this.active) {
      if (!matchesAttributes(f, d)) continue;
      const k = dedupKey(d);
      const b = best.get(k);
      if (!b || d.until > b.until || (d.until === b.until && d.id > b.id)) best.set(k, d);
    }
    const gone = new Map<string, Decision>();
    for (const d of this.byId.values()) {
      if (d.until > now || !matchesAttributes(f, d)) continue;
      const k = dedupKey(d);
      if (best.has(k)) continue;
      const g = gone.get(k);
      if (!g || d.until > g.until) gone.set(k, d);
    }
    return { new: byId(best.values()), deleted: byId(gone.values()) };
  }

  /**
   * Stream delta since a cursor: `sinceSeq` is the last change sequence the bouncer was served and
   * `sinceTime` when. A key whose decisions changed gets its best active decision in `new`, or, when
   * none is left, its newly expired decisions in `deleted` (each once).
   */
  delta(f: DecisionFilter, sinceSeq: number, sinceTime: number, now: number): StreamDelta {
    this.sweep(now);
    const touched = new Map<string, Decision[]>();
    const touch = (d: Decision) => {
      if (!matchesAttributes(f, d)) return;
      const k = dedupKey(d);
      const list = touched.get(k);
      if (list) list.push(d);
      else touched.set(k, [d]);
    };
    for (let i = this.firstLogIndexAfter(sinceSeq); i < this.log.length; i++) {
      const e = this.log[i]!;
      if (e.d.seq === e.seq && this.byId.get(e.d.id) === e.d) touch(e.d);
    }
    for (let i = firstIndexAfter(this.expired, sinceTime); i < this.expired.length; i++) {
      const d = this.expired[i]!;
      if (d.until > now) break;
      if (d.seq <= sinceSeq && this.byId.get(d.id) === d) touch(d);
    }
    const out: StreamDelta = { new: [], deleted: [] };
    for (const list of touched.values()) {
      const best = this.bestActive(f, list[0]!, now);
      if (best) {
        if (best.seq > sinceSeq || list.some((d) => d.until <= now)) out.new.push(best);
      } else {
        for (const d of list) if (d.until <= now) out.deleted.push(d);
      }
    }
    out.new.sort((a, b) => a.id - b.id);
    out.deleted.sort((a, b) => a.id - b.id);
    return out;
  }

  private firstLogIndexAfter(seq: number): number {
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.log[mid]!.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Forgets decisions expired before `before` and compacts the change log. A bouncer that last pulled
   * before `before` cannot get an exact delta any more: the stream route gives it the full state.
   */
  forget(before: number): void {
    for (const d of this.byId.values()) {
      if (d.until < before && !this.active.has(d)) this.byId.delete(d.id);
    }
    this.log = this.log.filter((e) => e.d.seq === e.seq && this.byId.get(e.d.id) === e.d);
    this.expired = this.expired.filter((d) => this.byId.get(d.id) === d);
  }
}

function byId(values: Iterable<Decision>): Decision[] {
  return [...values].sort((a, b) => a.id - b.id);
}

/** First index whose `until` is greater than `t`, in an array sorted by `until`. */
function firstIndexAfter(list: Decision[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.until <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
