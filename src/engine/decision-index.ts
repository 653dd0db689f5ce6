import type { Decision } from '../domain/decision.js';
import { matchesAttributes, type DecisionFilter } from '../domain/decision-filter.js';
import { rangeContains, type IpRange } from '../domain/ip-range.js';
import { RangeSet } from '../domain/range-set.js';
import { upperBound } from '../domain/sorted.js';
import { MinHeap } from './min-heap.js';
import { asList, bucketAdd, bucketRemove, PrefixTable, type Bucket } from './prefix-table.js';

/** What hides decisions from one bouncer: the allowlists that apply to it. */
export interface Visibility {
  hides(d: Decision): boolean;
}

export interface StreamDelta {
  new: Decision[];
  deleted: Decision[];
}

const byIdOrder = (a: Decision, b: Decision) => a.id - b.id;
const NO_KEYS: ReadonlySet<string> = new Set();
const better = (a: Decision, b: Decision | undefined) => !b || a.until > b.until || (a.until === b.until && a.id > b.id);

/**
 * Every active decision, plus the recently expired ones bouncer streams still need, in memory.
 * The store is the source of truth: this index is only ever fed rows read back from it (DecisionFeed),
 * in change-sequence order, so that what it serves always corresponds to a committed sequence.
 */
export class DecisionIndex {
  private readonly byId = new Map<number, Decision>();
  /** Active decisions by exact value. */
  private readonly byValue = new Map<string, Bucket>();
  /** Active decisions this index holds (a decision leaves when it expires or is replaced). */
  private readonly live = new WeakSet<Decision>();
  private activeCount = 0;
  private readonly v4 = new PrefixTable(32);
  private readonly v6 = new PrefixTable(128);
  private readonly expiry = new MinHeap<Decision>((a, b) => a.until - b.until);
  /** Natural expiries in `until` order (see sweep), as two parallel arrays: the `until` of each, and its row. */
  private expiredUntil: number[] = [];
  private expired: Decision[] = [];
  /** The change log, as two parallel arrays in sequence order: the sequence of each entry, and its row. */
  private logSeq: number[] = [];
  private logRow: Decision[] = [];

  get size(): number {
    return this.activeCount;
  }

  get held(): number {
    return this.byId.size;
  }

  /** Every decision active at `now` (metrics, listings). */
  *activeDecisions(now: number): Generator<Decision> {
    for (const b of this.byValue.values()) for (const d of asList(b)) if (d.until > now) yield d;
  }

  /** Applies a row as read from the store (a new decision, or a later state of a known one). */
  apply(d: Decision, now: number): void {
    const prev = this.byId.get(d.id);
    if (prev) this.retire(prev);
    this.byId.set(d.id, d);
    this.logSeq.push(d.seq);
    this.logRow.push(d);
    if (d.until > now) {
      this.live.add(d);
      this.activeCount++;
      bucketAdd(this.byValue, d.value, d);
      if (d.range) (d.range.size === 4 ? this.v4 : this.v6).add(d, d.range);
      this.expiry.push(d);
    }
  }

  private retire(d: Decision): boolean {
    if (!this.live.delete(d)) return false;
    this.activeCount--;
    bucketRemove(this.byValue, d.value, d);
    if (d.range) (d.range.size === 4 ? this.v4 : this.v6).remove(d, d.range);
    return true;
  }

  /**
   * Retires decisions whose `until` has passed. Only decisions active when applied enter the heap,
   * and they leave it in `until` order, so `expiredUntil` stays sorted.
   */
  sweep(now: number): void {
    for (let top = this.expiry.peek(); top && top.until <= now; top = this.expiry.peek()) {
      this.expiry.pop();
      // a replaced or already retired decision leaves the heap without a trace
      if (this.byId.get(top.id) === top && this.retire(top)) {
        this.expiredUntil.push(top.until);
        this.expired.push(top);
      }
    }
  }

  /** Query mode: matching decisions with `until >= now`, no deduplication, ascending id; none that `view` hides. */
  query(f: DecisionFilter, now: number, view?: Visibility | null): Decision[] {
    this.sweep(now - 1);
    const out: Decision[] = [];
    for (const d of this.candidates(f, now)) {
      if (d.until >= now && matchesAttributes(f, d) && !view?.hides(d)) out.push(d);
    }
    return out.length > 1 ? out.sort(byIdOrder) : out;
  }

  private *candidates(f: DecisionFilter, now: number): Iterable<Decision> {
    const r = f.range;
    if (r && f.contains) {
      yield* (r.size === 4 ? this.v4 : this.v6).containing(r);
      return;
    }
    const pool = f.value !== undefined ? asList(this.byValue.get(f.value)) : this.activeDecisions(now - 1);
    for (const d of pool) {
      if (!r || (d.range && rangeContains(r, d.range))) yield d;
    }
  }

  /** The longest active decision with d0's (value, type, scope) among those the filter keeps (ties: the newest). */
  private bestActive(f: DecisionFilter, d0: Decision, now: number, view?: Visibility | null): Decision | undefined {
    // visibility depends on the value alone: a hidden key has no best decision
    if (view?.hides(d0)) return undefined;
    let best: Decision | undefined;
    for (const d of asList(this.byValue.get(d0.value))) {
      if (d.until <= now || d.type !== d0.type || d.scope !== d0.scope || !matchesAttributes(f, d)) continue;
      if (better(d, best)) best = d;
    }
    return best;
  }

  /**
   * Stream `startup=true`: the best active decision per (value, type, scope) among those the filter
   * keeps. Nothing in `deleted`: a bouncer starting up holds nothing to delete.
   */
  snapshot(f: DecisionFilter, now: number, view?: Visibility | null): StreamDelta {
    this.sweep(now);
    const out: Decision[] = [];
    for (const b of this.byValue.values()) {
      if (!Array.isArray(b)) {
        if (b.until > now && matchesAttributes(f, b) && !view?.hides(b)) out.push(b);
        continue;
      }
      // several decisions for one value: keep the best per (type, scope)
      const best: Decision[] = [];
      for (const d of b) {
        if (d.until <= now || !matchesAttributes(f, d) || view?.hides(d)) continue;
        const i = best.findIndex((x) => x.type === d.type && x.scope === d.scope);
        if (i < 0) best.push(d);
        else if (better(d, best[i])) best[i] = d;
      }
      out.push(...best);
    }
    return { new: out.sort(byIdOrder), deleted: [] };
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
  delta(
    f: DecisionFilter,
    sinceSeq: number,
    sinceTime: number,
    now: number,
    view?: Visibility | null,
    changed?: readonly IpRange[] | null,
  ): StreamDelta {
    this.sweep(now);
    // by value first (its hash is cached on the string), then by (type, scope) below
    const touched = new Map<string, Decision[]>();
    const touch = (d: Decision) => {
      if (!matchesAttributes(f, d)) return;
      const list = touched.get(d.value);
      if (list) list.push(d);
      else touched.set(d.value, [d]);
    };
    for (let i = upperBound(this.logSeq, sinceSeq); i < this.logSeq.length; i++) {
      const d = this.logRow[i]!;
      if (d.seq === this.logSeq[i] && this.byId.get(d.id) === d) touch(d);
    }
    for (let i = upperBound(this.expiredUntil, sinceTime); i < this.expired.length; i++) {
      const d = this.expired[i]!;
      if (d.until > now) break;
      if (d.seq <= sinceSeq && this.byId.get(d.id) === d) touch(d);
    }
    const flipped = changed && changed.length > 0 ? this.flippedKeys(f, changed, touched, now) : NO_KEYS;
    if (flipped === null) return this.resendAll(f, touched, now, view);
    const out: StreamDelta = { new: [], deleted: [] };
    for (const [v, all] of touched) {
      const justFlipped = flipped.has(v);
      for (const list of byTypeAndScope(all)) {
        const best = this.bestActive(f, list[0]!, now, view);
        if (best) {
          if (best.seq > sinceSeq || justFlipped || list.some((d) => d.until <= now)) out.new.push(best);
        } else {
          // a key just hidden sends its decisions; one hidden all along was never served, so its ends are not news
          for (const d of list) if (justFlipped || (d.until <= now && !view?.hides(d))) out.deleted.push(d);
        }
      }
    }
    out.new.sort(byIdOrder);
    out.deleted.sort(byIdOrder);
    return out;
  }

  /**
   * The values whose allowlisting changed since the cursor: those the log touched that the changed ranges
   * overlap, and the active decisions these ranges overlap (added to `touched`, to be sent again). Found
   * through the prefix tables rather than a pass over everything; null when so many keys flip that the
   * delta should resend everything instead.
   */
  private flippedKeys(
    f: DecisionFilter,
    changed: readonly IpRange[],
    touched: Map<string, Decision[]>,
    now: number,
  ): ReadonlySet<string> | null {
    const flipped = new Set<string>();
    // values the log touched: ended or new decisions whose allowlisting changed as well
    const set = new RangeSet(changed);
    for (const [v, list] of touched) if (list.some((d) => d.range && set.overlaps(d.range))) flipped.add(v);
    // past this many (a restart that forgot what came before is `0.0.0.0/0`), one pass over everything is
    // cheaper than the maps; it answers a superset, and re-sends are harmless
    const limit = Math.max(10_000, this.activeCount / 8);
    const hit: Decision[] = [];
    const table = (r: IpRange) => (r.size === 4 ? this.v4 : this.v6);
    // many small ranges (a thousand /24 items) cost more in lookups than one pass with the merged set
    const probe = changed.reduce((n, r) => n + table(r).overlapCost(r), 0) < this.activeCount;
    const candidates = probe ? changed.flatMap((r) => [...table(r).overlapping(r)]) : this.activeDecisions(now);
    for (const d of candidates) {
      if (d.until <= now || !d.range || !matchesAttributes(f, d) || (!probe && !set.overlaps(d.range))) continue;
      if (hit.push(d) > limit) return null;
    }
    for (const d of hit) {
      flipped.add(d.value);
      const list = touched.get(d.value);
      if (!list) touched.set(d.value, [d]);
      else if (!list.includes(d)) list.push(d);
    }
    return flipped;
  }

  /**
   * The answer of a delta that looks at every key again: what is visible (as a startup pull would send it),
   * what the view hides, and the decisions the log saw end whose key has nothing left to show.
   */
  private resendAll(f: DecisionFilter, touched: Map<string, Decision[]>, now: number, view: Visibility | null | undefined): StreamDelta {
    const out = this.snapshot(f, now, view);
    if (view) for (const d of this.activeDecisions(now)) if (view.hides(d) && matchesAttributes(f, d)) out.deleted.push(d);
    for (const all of touched.values()) {
      for (const list of byTypeAndScope(all)) {
        if (!this.bestActive(f, list[0]!, now, view)) for (const d of list) if (d.until <= now) out.deleted.push(d);
      }
    }
    out.deleted.sort(byIdOrder);
    return out;
  }

  /**
   * Forgets decisions expired before `before` and compacts the change log. A bouncer that last pulled
   * before `before` cannot get an exact delta any more: the stream route gives it the full state.
   */
  forget(before: number): void {
    for (const d of this.byId.values()) {
      if (d.until < before && !this.live.has(d)) this.byId.delete(d.id);
    }
    const seqs: number[] = [];
    const rows: Decision[] = [];
    for (let i = 0; i < this.logRow.length; i++) {
      const d = this.logRow[i]!;
      if (d.seq === this.logSeq[i] && this.byId.get(d.id) === d) {
        seqs.push(this.logSeq[i]!);
        rows.push(d);
      }
    }
    this.logSeq = seqs;
    this.logRow = rows;
    const untils: number[] = [];
    const expired: Decision[] = [];
    for (const d of this.expired) {
      if (this.byId.get(d.id) === d) {
        untils.push(d.until);
        expired.push(d);
      }
    }
    this.expiredUntil = untils;
    this.expired = expired;
  }
}

/** One value's decisions, split by (type, scope): the keys a stream deduplicates on. Most values have one decision. */
function byTypeAndScope(list: Decision[]): Decision[][] {
  if (list.length === 1) return [list];
  const groups: Decision[][] = [];
  for (const d of list) {
    const g = groups.find((x) => x[0]!.type === d.type && x[0]!.scope === d.scope);
    if (g) g.push(d);
    else groups.push([d]);
  }
  return groups;
}
