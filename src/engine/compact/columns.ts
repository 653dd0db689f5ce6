import { goEscaped } from '../../go-format.js';

/** A slot is free, holds an active decision, or holds an ended one that stream deltas still need. */
export const FREE = 0;
export const LIVE = 1;
export const ENDED = 2;

const FIRST_CAPACITY = 1024;
const FIRST_ARENA = 1 << 16;

/** A copy of `a` with room for `n` (larger or smaller), new room filled with `fill`. */
function grown<T extends Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array>(a: T, n: number, fill?: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a.length <= n ? a : a.subarray(0, n));
  if (fill !== undefined) b.fill(fill, a.length);
  return b;
}

/** FNV-1a over bytes: the value hash chains use, computed the same way from the arena and from a query. */
export function fnv1a(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}

/** A string as stored in the arena: its Go JSON text without the quotes. */
export function escapedBytes(s: string): Buffer {
  return Buffer.from(goEscaped(s));
}

/**
 * Decisions as columns: one typed array per field, a decision being a slot number. Nothing here is a
 * JavaScript object per decision, so the collector has nothing to walk; freed slots are reused.
 *
 * The uuid and the value live in one byte arena, already escaped as Go's JSON encoder writes them:
 * answers copy them as they are. Space freed in the arena is reclaimed by compacting it when more
 * than half of it is dead.
 */
export class DecisionColumns {
  capacity = 0;
  /** One past the highest slot ever used. */
  top = 0;
  id = new Float64Array(0);
  seq = new Float64Array(0);
  until = new Float64Array(0);
  created = new Float64Array(0);
  /** The alert's id, NaN for none. */
  alert = new Float64Array(0);
  tuple = new Uint32Array(0);
  /** 0 (not an IP scope), 4 or 16. */
  family = new Uint8Array(0);
  prefix = new Uint8Array(0);
  /** The range's first address as four big-endian 32-bit words per slot (IPv4: the first word). */
  words = new Uint32Array(0);
  state = new Uint8Array(0);
  offset = new Uint32Array(0);
  uuidLength = new Uint16Array(0);
  valueLength = new Uint32Array(0);
  valueHash = new Uint32Array(0);
  /** Links of the hash chains (by value, by network) and the slot's place in the expiry heap; -1 for none. */
  nextByValue = new Int32Array(0);
  nextByNet = new Int32Array(0);
  heapPos = new Int32Array(0);

  arena: Buffer = Buffer.allocUnsafe(FIRST_ARENA);
  arenaUsed = 0;
  arenaDead = 0;
  private free: number[] = [];

  /** A slot for a new decision (its fields are the caller's to fill). */
  alloc(): number {
    const s = this.free.pop();
    if (s !== undefined) return s;
    if (this.top === this.capacity) this.grow(Math.max(FIRST_CAPACITY, Math.ceil(this.capacity * 1.5)));
    return this.top++;
  }

  /** Frees a slot; the caller has already unlinked it from every chain. */
  release(s: number): void {
    this.arenaDead += this.uuidLength[s]! + this.valueLength[s]!;
    this.state[s] = FREE;
    this.free.push(s);
  }

  get freeSlots(): number {
    return this.free.length;
  }

  /** Makes room for `n` slots and about `bytes` of text at once, so that a bulk load never grows (nor leaves old arrays behind). */
  reserve(n: number, bytes: number): void {
    if (n > this.capacity) this.resize(n);
    if (bytes > this.arena.length) this.compactArena(bytes);
  }

  /**
   * Shrinks the columns to the slots in use plus a sixteenth, and the arena to its live bytes plus as much:
   * after a bulk load, growth by half may have left a third of each unused.
   */
  trim(): void {
    // only worth a copy (and the old array left to the collector) when a fifth or more is unused
    const n = Math.max(1024, this.top + Math.ceil(this.top / 16));
    if (n < this.capacity * 0.8) this.resize(n);
    const live = this.arenaUsed - this.arenaDead;
    const size = Math.max(1 << 16, live + Math.ceil(live / 16));
    if (size < this.arena.length * 0.8) this.compactArena(size);
  }

  private grow(n: number): void {
    this.resize(n);
  }

  private resize(n: number): void {
    this.id = grown(this.id, n);
    this.seq = grown(this.seq, n);
    this.until = grown(this.until, n);
    this.created = grown(this.created, n);
    this.alert = grown(this.alert, n);
    this.tuple = grown(this.tuple, n);
    this.family = grown(this.family, n);
    this.prefix = grown(this.prefix, n);
    this.words = grown(this.words, n * 4);
    this.state = grown(this.state, n);
    this.offset = grown(this.offset, n);
    this.uuidLength = grown(this.uuidLength, n);
    this.valueLength = grown(this.valueLength, n);
    this.valueHash = grown(this.valueHash, n);
    this.nextByValue = grown(this.nextByValue, n, -1);
    this.nextByNet = grown(this.nextByNet, n, -1);
    this.heapPos = grown(this.heapPos, n, -1);
    this.capacity = n;
  }

  /** Stores the slot's uuid and value (replacing what it held), escaped as Go's JSON encoder writes them. */
  setText(s: number, uuid: string, value: string): void {
    if (this.state[s] !== FREE) this.arenaDead += this.uuidLength[s]! + this.valueLength[s]!;
    const u = goEscaped(uuid);
    const v = goEscaped(value);
    // UTF-8 takes at most three bytes per UTF-16 unit
    const most = (u.length + v.length) * 3;
    if (this.arenaUsed + most > this.arena.length) this.makeRoom(most);
    const at = this.arenaUsed;
    const ul = this.arena.write(u, at);
    if (ul > 0xffff) throw new RangeError('decision uuid too long');
    const vl = this.arena.write(v, at + ul);
    this.arenaUsed += ul + vl;
    this.offset[s] = at;
    this.uuidLength[s] = ul;
    this.valueLength[s] = vl;
    this.valueHash[s] = fnv1a(this.arena, at + ul, at + ul + vl);
  }

  private makeRoom(n: number): void {
    const live = this.arenaUsed - this.arenaDead;
    // compacting alone when enough is dead, growing by half otherwise: either way the cost is amortised
    const size = Math.max(FIRST_ARENA, Math.ceil((live + n) * 1.5));
    this.compactArena(Math.max(size, this.arena.length));
  }

  /** Copies every held slot's bytes into a fresh arena of `size` bytes, in slot order. */
  private compactArena(size: number): void {
    const next = Buffer.allocUnsafe(size);
    let at = 0;
    for (let s = 0; s < this.top; s++) {
      if (this.state[s] === FREE) continue;
      const n = this.uuidLength[s]! + this.valueLength[s]!;
      this.arena.copy(next, at, this.offset[s]!, this.offset[s]! + n);
      this.offset[s] = at;
      at += n;
    }
    this.arena = next;
    this.arenaUsed = at;
    this.arenaDead = 0;
  }

  valueStart(s: number): number {
    return this.offset[s]! + this.uuidLength[s]!;
  }

  /** Whether two slots hold the same value. */
  sameValue(a: number, b: number): boolean {
    if (this.valueHash[a] !== this.valueHash[b] || this.valueLength[a] !== this.valueLength[b]) return false;
    return this.valueEquals(b, this.arena, this.valueStart(a), this.valueLength[a]!);
  }

  /** Whether the slot's value is the `len` bytes of `buf` at `at`. */
  valueEquals(s: number, buf: Uint8Array, at: number, len: number): boolean {
    if (this.valueLength[s] !== len) return false;
    const a = this.arena;
    const v = this.valueStart(s);
    for (let i = 0; i < len; i++) if (a[v + i] !== buf[at + i]) return false;
    return true;
  }

  uuidText(s: number): string {
    return JSON.parse(`"${this.arena.toString('utf8', this.offset[s]!, this.valueStart(s))}"`) as string;
  }

  valueText(s: number): string {
    const v = this.valueStart(s);
    return JSON.parse(`"${this.arena.toString('utf8', v, v + this.valueLength[s]!)}"`) as string;
  }

  /** Bytes of the columns' buffers and of the arena (live and dead): what the index costs (its metrics gauge). */
  get bytes(): number {
    let n = this.arena.length;
    for (const col of [
      this.id,
      this.seq,
      this.until,
      this.created,
      this.alert,
      this.tuple,
      this.family,
      this.prefix,
      this.words,
      this.state,
      this.offset,
      this.uuidLength,
      this.valueLength,
      this.valueHash,
      this.nextByValue,
      this.nextByNet,
      this.heapPos,
    ])
      n += col.byteLength;
    return n;
  }
}
