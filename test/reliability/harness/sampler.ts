import { readdirSync, readFileSync } from 'node:fs';
import type { LapisProcess } from './server.js';

/** One reading of the server process. Sizes in bytes; `t` in ms since sampling started. */
export interface Sample {
  t: number;
  rss: number;
  fds: number;
  /** V8 heap in use, as the sampler found it (garbage included). */
  heapUsed?: number | undefined;
  /** V8 heap in use right after a full collection: the live heap (every `gcEvery`-th sample). */
  liveHeap?: number | undefined;
  /** The workload's count (decisions created so far), to relate growth to what is kept by design. */
  count: number;
}

/** VmRSS from /proc/PID/status, in bytes. */
export function readRss(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

export function countFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * Samples RSS, open descriptors and the heap of a running server every `everyMs`; every `gcEvery`-th sample
 * first asks for a full collection (memory-probe.js), so the live heap is measured without GC timing noise.
 */
export class ProcessSampler {
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();
  private busy = false;

  constructor(
    private readonly server: LapisProcess,
    private readonly count: () => number = () => 0,
    private readonly opts: { everyMs: number; gcEvery: number } = { everyMs: 1000, gcEvery: 10 },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.take(), this.opts.everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async take(): Promise<void> {
    if (this.busy || !this.server.running) return;
    this.busy = true;
    try {
      const s: Sample = {
        t: Date.now() - this.started,
        rss: readRss(this.server.pid),
        fds: countFds(this.server.pid),
        count: this.count(),
      };
      const gc = this.samples.length % this.opts.gcEvery === this.opts.gcEvery - 1;
      const mem = await this.server.memory(gc);
      if (gc) s.liveHeap = mem?.heapUsed;
      else s.heapUsed = mem?.heapUsed;
      this.samples.push(s);
    } finally {
      this.busy = false;
    }
  }
}

/** How a series behaves: its first value, the peak of the first two thirds, and the last third's range. */
export interface Tail {
  first: number;
  earlyPeak: number;
  lateMin: number;
  lateMax: number;
  last: number;
  /** Least-squares slope over the last third, per minute. */
  lateSlopePerMin: number;
}

/** Splits the samples at two thirds of the run (by time) and describes `pick`'s series; null when either part is empty. */
export function tail(samples: readonly Sample[], pick: (s: Sample) => number | undefined): Tail | null {
  const points = samples.flatMap((s) => {
    const v = pick(s);
    return v === undefined ? [] : [{ t: s.t, v }];
  });
  if (points.length < 2) return null;
  const cut = points[points.length - 1]!.t * (2 / 3);
  const early = points.filter((p) => p.t < cut);
  const late = points.filter((p) => p.t >= cut);
  if (early.length === 0 || late.length === 0) return null;
  const n = late.length;
  const mt = late.reduce((a, p) => a + p.t, 0) / n;
  const mv = late.reduce((a, p) => a + p.v, 0) / n;
  const den = late.reduce((a, p) => a + (p.t - mt) ** 2, 0);
  const slope = den === 0 ? 0 : late.reduce((a, p) => a + (p.t - mt) * (p.v - mv), 0) / den;
  return {
    first: points[0]!.v,
    earlyPeak: Math.max(...early.map((p) => p.v)),
    lateMin: Math.min(...late.map((p) => p.v)),
    lateMax: Math.max(...late.map((p) => p.v)),
    last: points[points.length - 1]!.v,
    lateSlopePerMin: slope * 60_000,
  };
}

export const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

/**
 * Live-heap growth per counted item between the first and the last live-heap samples: with decisions as the count,
 * what each one costs while the index keeps it (24 h after it ends). Null without two samples or any count.
 */
export function growthPerItem(samples: readonly Sample[]): { bytes: number; items: number; perItem: number } | null {
  const live = samples.filter((s) => s.liveHeap !== undefined);
  const a = live[0];
  const b = live[live.length - 1];
  if (!a || !b || b === a || b.count === a.count) return null;
  const bytes = b.liveHeap! - a.liveHeap!;
  return { bytes, items: b.count - a.count, perItem: bytes / (b.count - a.count) };
}
