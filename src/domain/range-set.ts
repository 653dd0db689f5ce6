import type { IpRange } from './ip-range.js';
import { upperBound } from './sorted.js';

/**
 * A set of ranges merged into disjoint intervals, per family: `overlaps` is one binary search.
 * This is what a bouncer's answers are filtered through, so IPv4 bounds are plain numbers.
 */
export class RangeSet {
  private readonly v4s: number[] = [];
  private readonly v4e: number[] = [];
  private readonly v6s: bigint[] = [];
  private readonly v6e: bigint[] = [];

  constructor(ranges: Iterable<IpRange>) {
    const v4: [number, number][] = [];
    const v6: [bigint, bigint][] = [];
    for (const r of ranges) {
      if (r.size === 4) v4.push([Number(r.start), Number(r.end)]);
      else v6.push([r.start, r.end]);
    }
    merge(v4, this.v4s, this.v4e);
    merge(v6, this.v6s, this.v6e);
  }

  get empty(): boolean {
    return this.v4s.length === 0 && this.v6s.length === 0;
  }

  get hasV6(): boolean {
    return this.v6s.length > 0;
  }

  /** `overlaps` for an IPv4 interval given as numbers (the index's columns). */
  overlapsV4(start: number, end: number): boolean {
    return hit(this.v4s, this.v4e, start, end);
  }

  overlaps(r: IpRange): boolean {
    return r.size === 4 ? hit(this.v4s, this.v4e, Number(r.start), Number(r.end)) : hit(this.v6s, this.v6e, r.start, r.end);
  }
}

function merge<T extends number | bigint>(spans: [T, T][], starts: T[], ends: T[]): void {
  spans.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [s, e] of spans) {
    const last = ends.length - 1;
    if (last >= 0 && s <= ends[last]!) {
      if (e > ends[last]!) ends[last] = e;
    } else {
      starts.push(s);
      ends.push(e);
    }
  }
}

/** Whether [s, e] meets one of the sorted disjoint intervals. */
function hit<T extends number | bigint>(starts: T[], ends: T[], s: T, e: T): boolean {
  // the last interval starting at or before e
  const i = upperBound(starts, e);
  return i > 0 && ends[i - 1]! >= s;
}
