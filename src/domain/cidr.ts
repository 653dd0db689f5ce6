import type { IpRange } from './ip-range.js';

/**
 * CIDR arithmetic for lists served to firewalls: the blocks that cover an interval, and two streaming passes
 * over ranges sorted by `compareRanges` (a blocklist's items, a mirror's decisions). Both passes keep one
 * pending range, so a list of a million entries costs its output and nothing more.
 */

/** Orders ranges by family (IPv4 first), then start ascending, then end descending: a container before what it contains. */
export function compareRanges(a: IpRange, b: IpRange): number {
  if (a.size !== b.size) return a.size - b.size;
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  if (a.end !== b.end) return a.end > b.end ? -1 : 1;
  return 0;
}

/** The number of trailing zero bits of `n`, at most `bits` (all of them for 0). */
function trailingZeros(n: bigint, bits: number): number {
  if (n === 0n) return bits;
  let k = 0;
  while ((n & 1n) === 0n) {
    n >>= 1n;
    k++;
  }
  return k;
}

/**
 * The fewest CIDR blocks covering exactly [start, end], in address order: each block is the largest one that
 * starts where the previous ended and stays inside. A single address is one /32 (or /128) block.
 * Throws a RangeError when the bounds are reversed or out of the family (a caller's bug, not an input).
 */
export function cidrsOf(size: 4 | 16, start: bigint, end: bigint): IpRange[] {
  const bits = size * 8;
  const max = (1n << BigInt(bits)) - 1n;
  if (start < 0n || end > max || start > end)
    throw new RangeError(`cidrsOf: [${start}, ${end}] is not an IPv${size === 4 ? 4 : 6} interval`);
  const out: IpRange[] = [];
  let s = start;
  for (;;) {
    // the block may not be wider than the alignment of s, nor reach past end
    let k = trailingZeros(s, bits);
    while (k > 0 && s + (1n << BigInt(k)) - 1n > end) k--;
    const e = s + (1n << BigInt(k)) - 1n;
    out.push({ size, start: s, end: e, prefix: bits - k });
    if (e >= end) return out;
    s = e + 1n;
  }
}

/** Throws when `r` comes before `last` in `compareRanges` order: the passes below would silently go wrong. */
function checkOrder(who: string, last: IpRange | null, r: IpRange): void {
  if (last !== null && compareRanges(last, r) > 0) throw new RangeError(`${who}: ranges must come in compareRanges order`);
}

/**
 * The deduplicated union without merging: an entry identical to, or contained in, the last one kept in its
 * family is dropped; anything else (an overlap that sticks out, a neighbour) is kept as it is. Sorted input
 * makes "contained in the last kept one" the same as "contained in any kept one".
 */
export class RangeUnion {
  private kept: IpRange | null = null;
  private last: IpRange | null = null;

  /** `r` when it is kept, null when an earlier entry already covers it. Throws a RangeError on unsorted input. */
  push(r: IpRange): IpRange | null {
    checkOrder('RangeUnion', this.last, r);
    this.last = r;
    const k = this.kept;
    if (k !== null && k.size === r.size && r.end <= k.end) return null;
    this.kept = r;
    return r;
  }
}

/**
 * The union merged into the fewest CIDR blocks: overlapping and adjacent intervals join (per family, never
 * across), and each merged interval is split by `cidrsOf`. `push` returns the blocks finished by that entry,
 * `end` the rest; between them only the interval being merged is held.
 */
export class CidrAggregator {
  private size: 4 | 16 = 4;
  private start = 0n;
  private stop = -1n;
  private last: IpRange | null = null;

  /** The blocks completed before `r` (often none). Throws a RangeError on unsorted input. */
  push(r: IpRange): IpRange[] {
    checkOrder('CidrAggregator', this.last, r);
    this.last = r;
    // adjacent counts as touching: 1.2.3.4 and 1.2.3.5 make one /31
    if (this.stop >= 0n && r.size === this.size && r.start <= this.stop + 1n) {
      if (r.end > this.stop) this.stop = r.end;
      return [];
    }
    const done = this.flush();
    this.size = r.size;
    this.start = r.start;
    this.stop = r.end;
    return done;
  }

  /** The blocks of the interval still open; the aggregator is then empty and may be fed again. */
  end(): IpRange[] {
    const done = this.flush();
    this.last = null;
    return done;
  }

  private flush(): IpRange[] {
    if (this.stop < 0n) return [];
    const out = cidrsOf(this.size, this.start, this.stop);
    this.stop = -1n;
    return out;
  }
}
