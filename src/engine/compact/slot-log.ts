/**
 * An append-only list of (key, slot, sequence) in ascending key order, as typed arrays: the change log (key:
 * the change sequence, so no sequence column: `tagged` false) and the natural expiries (key: `until`, with the
 * slot's sequence then) of the decision index.
 */
export class SlotLog {
  key: Float64Array;
  slot: Int32Array;
  seq: Float64Array;
  length = 0;

  constructor(
    private readonly tagged: boolean,
    capacity = 1024,
  ) {
    this.key = new Float64Array(capacity);
    this.slot = new Int32Array(capacity);
    this.seq = new Float64Array(tagged ? capacity : 0);
  }

  /** Appends an entry; `seq` is kept only by a tagged log (an untagged one reads its key instead). */
  push(key: number, slot: number, seq = key): void {
    if (this.length === this.key.length) this.resize(Math.ceil(this.length * 1.5));
    this.key[this.length] = key;
    this.slot[this.length] = slot;
    if (this.tagged) this.seq[this.length] = seq;
    this.length++;
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
    const seq = new Float64Array(this.tagged ? n : 0);
    key.set(this.key.subarray(0, this.length));
    slot.set(this.slot.subarray(0, this.length));
    if (this.tagged) seq.set(this.seq.subarray(0, this.length));
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
    const out = new SlotLog(this.tagged, Math.max(1024, Math.ceil(this.length * 1.25)));
    for (let i = 0; i < this.length; i++) {
      const seq = this.tagged ? this.seq[i]! : this.key[i]!;
      if (keep(this.slot[i]!, this.key[i]!, seq)) out.push(this.key[i]!, this.slot[i]!, seq);
    }
    return out;
  }

  get bytes(): number {
    return this.key.byteLength + this.seq.byteLength + this.slot.byteLength;
  }
}
