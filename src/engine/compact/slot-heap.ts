import type { DecisionColumns } from './columns.js';

/**
 * The active slots ordered by `until`, as a binary heap of slot numbers whose positions the columns
 * record (`heapPos`): a decision replaced or deleted before it expires leaves the heap at once instead
 * of lingering in it.
 */
export class SlotHeap {
  private heap = new Int32Array(1024);
  size = 0;

  constructor(private readonly cols: DecisionColumns) {}

  reserve(n: number): void {
    if (n <= this.heap.length) return;
    const h = new Int32Array(n);
    h.set(this.heap.subarray(0, this.size));
    this.heap = h;
  }

  peek(): number {
    return this.size > 0 ? this.heap[0]! : -1;
  }

  push(s: number): void {
    if (this.size === this.heap.length) {
      const h = new Int32Array(this.heap.length * 2);
      h.set(this.heap);
      this.heap = h;
    }
    this.heap[this.size] = s;
    this.cols.heapPos[s] = this.size;
    this.up(this.size++);
  }

  remove(s: number): void {
    const i = this.cols.heapPos[s]!;
    if (i < 0) return;
    this.cols.heapPos[s] = -1;
    const last = this.heap[--this.size]!;
    if (i === this.size) return;
    this.heap[i] = last;
    this.cols.heapPos[last] = i;
    this.up(i);
    this.down(this.cols.heapPos[last]!);
  }

  private less(a: number, b: number): boolean {
    return this.cols.until[a]! < this.cols.until[b]!;
  }

  private place(i: number, s: number): void {
    this.heap[i] = s;
    this.cols.heapPos[s] = i;
  }

  private up(i: number): void {
    const s = this.heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const ps = this.heap[p]!;
      if (!this.less(s, ps)) break;
      this.place(i, ps);
      i = p;
    }
    this.place(i, s);
  }

  private down(i: number): void {
    const s = this.heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const c = r < this.size && this.less(this.heap[r]!, this.heap[l]!) ? r : l;
      if (!this.less(this.heap[c]!, s)) break;
      this.place(i, this.heap[c]!);
      i = c;
    }
    this.place(i, s);
  }
}
