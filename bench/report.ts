// The benchmark's output: progress lines on stderr, and on stdout the table of every figure beside its target.
import type { Measured, PerfStats } from './child.js';
import type { LoadResult } from './load.js';

export const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

export const fmt = (n: number, digits = 0) => n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function statusText(r: LoadResult): string {
  return [...r.statuses].map(([s, n]) => `${s}×${n}`).join(' ');
}

export const cores = (r: Measured) => `${r.serverCores.toFixed(2)} / ${r.benchCores.toFixed(2)} cores`;

/** What a startup pull took and returned. */
export interface Pull {
  seconds: number;
  ttfb: number;
  bytes: number;
  fresh: number;
  deleted: number;
}

export interface Row {
  measure: string;
  value: string;
  target: string;
  /** true: met, false: missed, undefined: no target. */
  ok?: boolean | undefined;
}

/** The targets, which depend on the number of decisions loaded. */
export interface Targets {
  /** Query p99, in ms. */
  p99: number;
  /** A startup pull's full body, in seconds. */
  startup: number | undefined;
  big: boolean;
  /** The server's RSS after a startup pull, in MiB. */
  rss: number | undefined;
  /** The longest GC pause during a query phase, in ms (strictly below). */
  gcPause: number;
  /** The longest the event loop is held while startup pulls are served, in ms. */
  pullLoop: number;
  /** Seconds from spawning the server on a loaded store to its first answer (from a million decisions). */
  ready: number | undefined;
}

/** Issue 13's targets: at 100,000 decisions and at a million (none set in between). */
export function targets(n: number): Targets {
  const big = n >= 1_000_000;
  return {
    p99: 5,
    startup: big ? 1 : n <= 100_000 ? 0.1 : undefined,
    big,
    rss: big ? 400 : n <= 100_000 ? 150 : undefined,
    gcPause: 10,
    pullLoop: 5,
    ready: big ? 5 : undefined,
  };
}

export function table(rows: Row[]): string {
  const head: Row = { measure: 'measure', value: 'value', target: 'target' };
  const w = (k: 'measure' | 'value' | 'target') => Math.max(...[head, ...rows].map((r) => r[k].length));
  const [wm, wv, wt] = [w('measure'), w('value'), w('target')];
  const line = (r: Row, verdict: string) =>
    `${r.measure.padEnd(wm)}  ${r.value.padStart(wv)}  ${r.target.padEnd(wt)}  ${verdict}`.trimEnd();
  return [
    line(head, 'met?'),
    `${'-'.repeat(wm)}  ${'-'.repeat(wv)}  ${'-'.repeat(wt)}  ----`,
    ...rows.map((r) => line(r, r.ok === undefined ? '' : r.ok ? 'yes' : 'MISS')),
  ].join('\n');
}

/** The rows of one query load phase. */
export function queryRows(name: string, r: Measured, p99Target: number): Row[] {
  return [
    { measure: `query ${name}: throughput`, value: `${fmt(r.rps)} req/s`, target: '>= 15,000 req/s', ok: r.rps >= 15_000 },
    {
      measure: `query ${name}: p50 / p99`,
      value: `${r.p50ms.toFixed(2)} / ${r.p99ms.toFixed(2)} ms`,
      target: `p99 < ${p99Target} ms`,
      ok: r.p99ms < p99Target,
    },
    { measure: `query ${name}: max latency`, value: `${r.maxms.toFixed(1)} ms`, target: '' },
    { measure: `query ${name}: CPU server / bench`, value: cores(r), target: '' },
    {
      measure: `query ${name}: non-200 / no answer`,
      value: `${r.badStatus} / ${r.failures} of ${fmt(r.requests)}`,
      target: '0',
      ok: r.badStatus + r.failures === 0,
    },
  ];
}

/** The longest GC pause of a window, with its kind, then how many and how long in all. */
export function gcText(p: PerfStats): string {
  const kind = Object.entries(p.gc.kinds).find(([, k]) => k.maxMs === p.gc.maxMs)?.[0];
  return `${p.gc.maxMs.toFixed(1)} ms${kind ? ` (${kind})` : ''}; ${fmt(p.gc.count)} pauses, ${fmt(p.gc.totalMs)} ms in all`;
}

/**
 * The server's GC pauses and event-loop delay during a phase: the longest pause against `gcTarget` (ms, strictly
 * below) and the loop's longest delay against `loopTarget` (ms, at most), when given.
 */
export function perfRows(name: string, p: PerfStats, gcTarget?: number, loopTarget?: number): Row[] {
  return [
    {
      measure: `${name}: GC longest pause`,
      value: gcText(p),
      target: gcTarget === undefined ? '' : `< ${gcTarget} ms`,
      ok: gcTarget === undefined ? undefined : p.gc.maxMs < gcTarget,
    },
    {
      measure: `${name}: event-loop delay max / p99`,
      value: `${p.loop.maxMs.toFixed(1)} / ${p.loop.p99Ms.toFixed(1)} ms`,
      target: loopTarget === undefined ? '' : `max <= ${loopTarget} ms`,
      ok: loopTarget === undefined ? undefined : p.loop.maxMs <= loopTarget,
    },
  ];
}

/** The rows of one startup pull of `n` decisions. */
export function pullRows(name: string, p: Pull, n: number, t: Targets): Row[] {
  return [
    {
      measure: `${name}: full body`,
      value: `${p.seconds.toFixed(3)} s`,
      target: t.startup === undefined ? '' : `<= ${t.startup} s`,
      ok: t.startup === undefined ? undefined : p.seconds <= t.startup,
    },
    { measure: `${name}: first byte`, value: `${p.ttfb.toFixed(3)} s`, target: '' },
    { measure: `${name}: body`, value: `${fmt(p.bytes)} B (${(p.bytes / 2 ** 20).toFixed(1)} MiB)`, target: '' },
    {
      measure: `${name}: new / deleted`,
      value: `${fmt(p.fresh)} / ${fmt(p.deleted)}`,
      target: `${fmt(n)} / 0`,
      ok: p.fresh === n && p.deleted === 0,
    },
  ];
}

/** Prints the header lines, then the table. */
export function printReport(header: string[], rows: Row[]): void {
  process.stdout.write(`\n${header.join('\n')}\n\n${table(rows)}\n`);
}
