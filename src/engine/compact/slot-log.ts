/**
 * An append-only list of (key, slot, sequence) in ascending key order, as three typed arrays: the change
 * log (key: the change sequence) and the natural expiries (key: `until`) of the decision index.
 */
export class SlotLog {
  key: Float64Array;
  slot: Int32Array;
  seq: Float64Array;
  length = 0;

  constructor(capacity = 1024) {
    this.key = new Float64Array(capacity);
    this.slot = new Int32Array(capacity);
    this.seq = new Float64Array(capacity);
  }

  push(key: number, slot: number, seq: number): void {
    if (this.length === this.key.length) this.resize(Math.ceil(this.length * 1.5));
    this.key[this.length] = key;
    this.slot[this.length] = slot;
    this.seq[this.length++] = seq;
  }

  reserve(n: number): void {
    if (n > this.key.length) this.resize(n);
  }

  /** Shrinks the arrays to the entries held plus a sixteenth (after a bulk load). */
  trim(): void {
    const n = Math.max(1024, this.length + Math.ceil(this.length / 16));
    if (n < this.key.length * 0.8) this.resize(n);
  }

  private resize(n: number): void {
    const key = new Float64Array(n);
    const slot = new Int32Array(n);
    const seq = new Float64Array(n);
    key.set(this.key.subarray(0, this.length));
    slot.set(this.slot.subarray(0, this.length));
    seq.set(this.seq.subarray(0, this.length));
    this.key = key;
    this.slot = slot;
    this.seq = seq;
  }

  /** The first entry whose key is greater than `x` (the length when none is). */
  after(x: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.key[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** A copy holding only the entries `keep` accepts, sized to them. */
  keep(keep: (slot: number, key: number, seq: number) => boolean): SlotLog {
    const out = new SlotLog(Math.max(1024, Math.ceil(this.length * 1.25)));
    for (let i = 0; i < this.length; i++)
      if (keep(this.slot[i]!, this.key[i]!, this.seq[i]!)) out.push(this.key[i]!, this.slot[i]!, this.seq[i]!);
    return out;
  }

  get bytes(): number {
    return this.key.byteLength * 2 + this.slot.byteLength;
  }
}
