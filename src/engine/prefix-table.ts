import type { Decision } from '../domain/decision.js';
import { rangeContains, type IpRange } from '../domain/ip-range.js';

/**
 * Most keys hold one decision: a bucket is that decision itself, and becomes an array only when a
 * second one arrives. At a million decisions, a Set per key would cost more memory than the decisions.
 */
export type Bucket = Decision | Decision[];

export function bucketAdd<K>(map: Map<K, Bucket>, key: K, d: Decision): void {
  const b = map.get(key);
  if (b === undefined) map.set(key, d);
  else if (Array.isArray(b)) b.push(d);
  else map.set(key, [b, d]);
}

export function bucketRemove<K>(map: Map<K, Bucket>, key: K, d: Decision): void {
  const b = map.get(key);
  if (b === d) map.delete(key);
  else if (Array.isArray(b)) {
    const i = b.indexOf(d);
    if (i >= 0) b.splice(i, 1);
    if (b.length === 1) map.set(key, b[0]!);
    else if (b.length === 0) map.delete(key);
  }
}

export function asList(b: Bucket | undefined): readonly Decision[] {
  return b === undefined ? [] : Array.isArray(b) ? b : [b];
}

/**
 * A family's ranges by prefix length, then by network address: a lookup costs one probe per prefix
 * length in use (typically two: /32 and /24). IPv4 addresses are numbers, IPv6 ones bigints.
 */
export class PrefixTable {
  private readonly byPrefix = new Map<number, Map<number | bigint, Bucket>>();
  private prefixes: number[] = [];

  constructor(private readonly bits: 32 | 128) {}

  private key(start: bigint): number | bigint {
    return this.bits === 32 ? Number(start) : start;
  }

  add(d: Decision, r: IpRange): void {
    let table = this.byPrefix.get(r.prefix);
    if (!table) {
      this.byPrefix.set(r.prefix, (table = new Map()));
      this.prefixes = [...this.byPrefix.keys()].sort((a, b) => a - b);
    }
    bucketAdd(table, this.key(r.start), d);
  }

  remove(d: Decision, r: IpRange): void {
    const table = this.byPrefix.get(r.prefix);
    if (table) bucketRemove(table, this.key(r.start), d);
  }

  /**
   * Decisions whose range overlaps `q` (contains it, or lies inside it). For the ranges inside, each prefix
   * length costs the fewer of its possible networks under `q` and its entries.
   */
  *overlapping(q: IpRange): Generator<Decision> {
    yield* this.containing(q);
    for (const p of this.prefixes) {
      if (p <= q.prefix) continue;
      const table = this.byPrefix.get(p)!;
      if (2 ** (p - q.prefix) > table.size) {
        for (const b of table.values()) for (const d of asList(b)) if (d.range && rangeContains(q, d.range)) yield d;
      } else if (this.bits === 32) {
        const step = 2 ** (32 - p);
        for (let net = Number(q.start), end = Number(q.end); net <= end; net += step) {
          const b = table.get(net);
          if (b !== undefined) yield* asList(b);
        }
      } else {
        const step = 1n << BigInt(128 - p);
        for (let net = q.start; net <= q.end; net += step) {
          const b = table.get(net);
          if (b !== undefined) yield* asList(b);
        }
      }
    }
  }

  /** About how many lookups `overlapping(q)` makes. */
  overlapCost(q: IpRange): number {
    let n = 0;
    for (const p of this.prefixes) n += p <= q.prefix ? 1 : Math.min(2 ** (p - q.prefix), this.byPrefix.get(p)!.size);
    return n;
  }

  /** Decisions whose range contains `q`. */
  *containing(q: IpRange): Generator<Decision> {
    const v4 = this.bits === 32 ? Number(q.start) : 0;
    for (const p of this.prefixes) {
      if (p > q.prefix) break;
      const key =
        this.bits === 32
          ? p === 0
            ? 0
            : (v4 & ((0xffffffff << (32 - p)) >>> 0)) >>> 0
          : q.start & (((1n << 128n) - 1n) ^ ((1n << BigInt(128 - p)) - 1n));
      yield* asList(this.byPrefix.get(p)!.get(key));
    }
  }
}
