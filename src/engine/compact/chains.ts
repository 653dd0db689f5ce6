import type { IpRange } from '../../domain/ip-range.js';
import { type DecisionColumns, LIVE } from './columns.js';

/** Writes a range's first address as four big-endian 32-bit words (IPv4: the first word, the rest zero). */
export function rangeWords(r: IpRange, words: Uint32Array, at: number): void {
  if (r.size === 4) {
    words[at] = Number(r.start);
    words[at + 1] = words[at + 2] = words[at + 3] = 0;
    return;
  }
  for (let i = 0; i < 4; i++) words[at + i] = Number((r.start >> BigInt(96 - 32 * i)) & 0xffffffffn);
}

/**
 * Writes stored hex bounds (8 or 32 hex digits, store/ip-bounds.ts) as words; returns the prefix length.
 * The bounds of a CIDR differ in its host bits only: all zero in the start, all one in the end.
 */
export function boundsWords(startHex: string, endHex: string, words: Uint32Array, at: number): number {
  const n = startHex.length >> 3;
  let prefix = 0;
  let open = true;
  for (let i = 0; i < 4; i++) {
    const a = i < n ? Number.parseInt(startHex.slice(i * 8, i * 8 + 8), 16) : 0;
    words[at + i] = a;
    if (!open || i >= n) continue;
    const b = Number.parseInt(endHex.slice(i * 8, i * 8 + 8), 16);
    if (a === b) prefix += 32;
    else {
      prefix += 32 - Math.round(Math.log2(b - a + 1));
      open = false;
    }
  }
  return prefix;
}

/** A slot's range as an IpRange (the paths that are not hot: allowlist changes, IPv6 visibility, objects). */
export function slotRange(c: DecisionColumns, s: number): IpRange {
  const p = c.prefix[s]!;
  const w = c.words;
  if (c.family[s] === 4) {
    const start = BigInt(w[s * 4]!);
    return { size: 4, start, end: start + BigInt(2 ** (32 - p) - 1), prefix: p };
  }
  const start = (BigInt(w[s * 4]!) << 96n) | (BigInt(w[s * 4 + 1]!) << 64n) | (BigInt(w[s * 4 + 2]!) << 32n) | BigInt(w[s * 4 + 3]!);
  return { size: 16, start, end: start | ((1n << BigInt(128 - p)) - 1n), prefix: p };
}

function mix(h: number, w: number): number {
  h = Math.imul(h ^ w, 0x85ebca6b);
  return h ^ (h >>> 13);
}

function netHash(fam: number, prefix: number, w0: number, w1: number, w2: number, w3: number): number {
  let h = mix(fam * 257 + prefix, w0);
  if (fam === 16) h = mix(mix(mix(h, w1), w2), w3);
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The mask keeping the first `p` bits of a 32-bit word (p in 0..32). */
function wordMask(p: number): number {
  return p <= 0 ? 0 : p >= 32 ? 0xffffffff : (0xffffffff << (32 - p)) >>> 0;
}

/**
 * The active slots chained through the columns by value and by network (family, prefix, first address):
 * two hash tables whose buckets hold a slot number, the next slot of a bucket being in the columns'
 * `nextByValue` / `nextByNet`. A lookup for an address costs one probe per prefix length in use (typically
 * two: /32 and /24).
 */
export class Chains {
  private valueHeads = new Int32Array(1024).fill(-1);
  private netHeads = new Int32Array(1024).fill(-1);
  private mask = 1023;
  private linked = 0;
  private readonly count4 = new Int32Array(33);
  private readonly count6 = new Int32Array(129);
  /** Prefix lengths in use, ascending. */
  private used4: number[] = [];
  private used6: number[] = [];

  constructor(private readonly c: DecisionColumns) {}

  get bytes(): number {
    return this.valueHeads.byteLength + this.netHeads.byteLength;
  }

  private netHashOf(s: number): number {
    const c = this.c;
    const w = c.words;
    return netHash(c.family[s]!, c.prefix[s]!, w[s * 4]!, w[s * 4 + 1]!, w[s * 4 + 2]!, w[s * 4 + 3]!);
  }

  private chain(s: number): void {
    const c = this.c;
    const v = c.valueHash[s]! & this.mask;
    c.nextByValue[s] = this.valueHeads[v]!;
    this.valueHeads[v] = s;
    const fam = c.family[s];
    if (fam === 0) return;
    const n = this.netHashOf(s) & this.mask;
    c.nextByNet[s] = this.netHeads[n]!;
    this.netHeads[n] = s;
    const counts = fam === 4 ? this.count4 : this.count6;
    if (counts[c.prefix[s]!]!++ === 0) this.usedChanged();
  }

  /** Heads for `n` linked slots without a rehash. */
  reserve(n: number): void {
    let size = this.valueHeads.length;
    while (n > size * 0.75) size *= 2;
    if (size > this.valueHeads.length) this.rehash(size);
  }

  /** Links a slot just made LIVE into both chains. */
  link(s: number): void {
    this.chain(s);
    // the rehash relinks every LIVE slot, this one included
    if (++this.linked > this.valueHeads.length * 0.75) this.rehash(this.valueHeads.length * 2);
  }

  unlink(s: number): void {
    const c = this.c;
    this.linked--;
    unchain(this.valueHeads, c.nextByValue, c.valueHash[s]! & this.mask, s);
    const fam = c.family[s];
    if (fam === 0) return;
    unchain(this.netHeads, c.nextByNet, this.netHashOf(s) & this.mask, s);
    const counts = fam === 4 ? this.count4 : this.count6;
    if (--counts[c.prefix[s]!]! === 0) this.usedChanged();
  }

  private usedChanged(): void {
    this.used4 = [];
    for (let p = 0; p <= 32; p++) if (this.count4[p]! > 0) this.used4.push(p);
    this.used6 = [];
    for (let p = 0; p <= 128; p++) if (this.count6[p]! > 0) this.used6.push(p);
  }

  private rehash(size: number): void {
    const c = this.c;
    this.valueHeads = new Int32Array(size).fill(-1);
    this.netHeads = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    for (let s = 0; s < c.top; s++) {
      if (c.state[s] !== LIVE) continue;
      const v = c.valueHash[s]! & this.mask;
      c.nextByValue[s] = this.valueHeads[v]!;
      this.valueHeads[v] = s;
      if (c.family[s] === 0) continue;
      const n = this.netHashOf(s) & this.mask;
      c.nextByNet[s] = this.netHeads[n]!;
      this.netHeads[n] = s;
    }
  }

  /** Calls `fn` for each active slot whose value hash is `h` (values differ when hashes collide: compare them). */
  withValueHash(h: number, fn: (s: number) => void): void {
    const c = this.c;
    for (let s = this.valueHeads[h & this.mask]!; s >= 0; s = c.nextByValue[s]!) if (c.valueHash[s] === h) fn(s);
  }

  /** Whether no other active slot holds s's value. */
  valueAlone(s: number): boolean {
    const c = this.c;
    const h = c.valueHash[s]!;
    for (let o = this.valueHeads[h & this.mask]!; o >= 0; o = c.nextByValue[o]!)
      if (o !== s && c.valueHash[o] === h && c.sameValue(o, s)) return false;
    return true;
  }

  /** Calls `fn` for each active slot whose network is exactly (fam, p, words). */
  private probe(fam: number, p: number, w0: number, w1: number, w2: number, w3: number, fn: (s: number) => void): void {
    const c = this.c;
    const w = c.words;
    for (let s = this.netHeads[netHash(fam, p, w0, w1, w2, w3) & this.mask]!; s >= 0; s = c.nextByNet[s]!) {
      if (c.family[s] === fam && c.prefix[s] === p && w[s * 4] === w0 && w[s * 4 + 1] === w1 && w[s * 4 + 2] === w2 && w[s * 4 + 3] === w3)
        fn(s);
    }
  }

  /** Active slots whose range contains the IPv4 range (a, maxPrefix): one probe per prefix length in use. */
  containingV4(a: number, fn: (s: number) => void, maxPrefix = 32): void {
    for (const p of this.used4) {
      if (p > maxPrefix) break;
      this.probe(4, p, (a & wordMask(p)) >>> 0, 0, 0, 0, fn);
    }
  }

  /** Active slots whose range contains `q`. */
  containing(q: IpRange, fn: (s: number) => void): void {
    if (q.size === 4) return this.containingV4(Number(q.start), fn, q.prefix);
    const w = new Uint32Array(4);
    rangeWords(q, w, 0);
    for (const p of this.used6) {
      if (p > q.prefix) break;
      const m = (i: number) => (w[i]! & wordMask(p - 32 * i)) >>> 0;
      this.probe(16, p, m(0), m(1), m(2), m(3), fn);
    }
  }

  /** Whether slot s's range lies inside `q` (same family). */
  inside(s: number, q: IpRange): boolean {
    const c = this.c;
    if (c.family[s] !== q.size) return false;
    if (q.size === 4) {
      const start = c.words[s * 4]!;
      return start >= Number(q.start) && start + 2 ** (32 - c.prefix[s]!) - 1 <= Number(q.end);
    }
    const r = slotRange(c, s);
    return r.start >= q.start && r.end <= q.end;
  }

  /** About how many probes `overlapping(q)` makes. */
  overlapCost(q: IpRange): number {
    const [used, counts] = q.size === 4 ? [this.used4, this.count4] : [this.used6, this.count6];
    let n = 0;
    for (const p of used) n += p <= q.prefix ? 1 : Math.min(2 ** (p - q.prefix), counts[p]!);
    return n;
  }

  /**
   * Active slots whose range overlaps `q` (contains it, or lies inside it). For the ranges inside, each prefix
   * length costs the fewer of its possible networks under `q` (probed) and a pass over the active slots.
   */
  overlapping(q: IpRange, fn: (s: number) => void): void {
    this.containing(q, fn);
    const [used, counts] = q.size === 4 ? [this.used4, this.count4] : [this.used6, this.count6];
    const scan = new Set<number>();
    for (const p of used) {
      if (p <= q.prefix) continue;
      if (2 ** (p - q.prefix) > counts[p]!) {
        scan.add(p);
        continue;
      }
      const w = new Uint32Array(4);
      const step = 1n << BigInt(q.size * 8 - p);
      for (let net = q.start; net <= q.end; net += step) {
        rangeWords({ size: q.size, start: net, end: net, prefix: p }, w, 0);
        this.probe(q.size, p, w[0]!, w[1]!, w[2]!, w[3]!, fn);
      }
    }
    if (scan.size === 0) return;
    const c = this.c;
    for (let s = 0; s < c.top; s++) {
      if (c.state[s] === LIVE && c.family[s] === q.size && scan.has(c.prefix[s]!) && this.inside(s, q)) fn(s);
    }
  }
}

function unchain(heads: Int32Array, next: Int32Array, bucket: number, s: number): void {
  let prev = -1;
  for (let o = heads[bucket]!; o >= 0; prev = o, o = next[o]!) {
    if (o !== s) continue;
    if (prev < 0) heads[bucket] = next[s]!;
    else next[prev] = next[s]!;
    next[s] = -1;
    return;
  }
}
