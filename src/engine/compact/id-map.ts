const EMPTY = -1;
const GONE = -2;

/**
 * Decision id → slot, as open addressing over two typed arrays (ids are positive integers): a third of
 * a Map's memory at a million entries, and nothing for the collector to trace.
 */
export class IdMap {
  private keys = new Float64Array(1024).fill(EMPTY);
  private values = new Int32Array(1024);
  private mask = 1023;
  /** Entries, and slots taken by entries or tombstones. */
  size = 0;
  private used = 0;

  private find(id: number): number {
    // ids are mostly consecutive: a multiplicative hash spreads them
    let i = Math.imul(id | 0, 0x9e3779b1) ^ Math.floor(id / 0x100000000);
    for (i &= this.mask; ; i = (i + 1) & this.mask) {
      const k = this.keys[i]!;
      if (k === id || k === EMPTY) return i;
    }
  }

  get(id: number): number | undefined {
    const i = this.find(id);
    return this.keys[i] === id ? this.values[i] : undefined;
  }

  set(id: number, slot: number): void {
    let i = this.find(id);
    if (this.keys[i] !== id) {
      // reuse a tombstone on the way, if any
      let t = Math.imul(id | 0, 0x9e3779b1) ^ Math.floor(id / 0x100000000);
      for (t &= this.mask; this.keys[t] !== GONE && t !== i; t = (t + 1) & this.mask);
      if (t === i) this.used++;
      i = t;
      this.keys[i] = id;
      this.size++;
    }
    this.values[i] = slot;
    if (this.used > this.keys.length / 2) this.rebuild(this.size * 4 > this.keys.length ? this.keys.length * 2 : this.keys.length);
  }

  delete(id: number): void {
    const i = this.find(id);
    if (this.keys[i] !== id) return;
    this.keys[i] = GONE;
    this.size--;
  }

  /** Room for `n` entries without a rebuild. */
  reserve(n: number): void {
    let capacity = this.keys.length;
    while (capacity < n * 2 + 2) capacity *= 2;
    if (capacity > this.keys.length) this.rebuild(capacity);
  }

  private rebuild(capacity: number): void {
    const keys = this.keys;
    const values = this.values;
    this.keys = new Float64Array(capacity).fill(EMPTY);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.used = this.size;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k < 0) continue;
      const j = this.find(k);
      this.keys[j] = k;
      this.values[j] = values[i]!;
    }
  }

  get bytes(): number {
    return this.keys.byteLength + this.values.byteLength;
  }
}
