/**
 * The server under benchmark, run by `bench/run.ts` as a child process: `node server-child.js <config.yaml>`.
 * It starts the Local API as `lapis serve` does, then prints one JSON line `{"bench":"listening","url":…}` on
 * stdout (the server's own log lines go there too, as JSON). It reads commands from stdin, one per line:
 *
 *   profile-start            start the V8 CPU profiler
 *   profile-stop <file>      stop it and write the profile (a .cpuprofile, as `--cpu-prof` writes)
 *   memory                   answer with process.memoryUsage()
 *   heap-snapshot <file>     write a V8 heap snapshot (for Chrome DevTools' Memory tab)
 *   perf-reset               start a new window of GC pauses and event-loop delay
 *   perf                     answer with those of the window so far (`PerfStats`), without resetting it
 *   perf-start               answer with those during `startServer` (`PerfStats`)
 *
 * and answers each with `{"bench":"ack","cmd":…}`. When stdin closes (the parent is gone) or on SIGTERM or
 * SIGINT, it closes the server and exits.
 *
 * The listening line also says how the start went: `bootMs`, from the process's start to this module's first
 * line (node's own start and the imports), `startMs`, from there to listening (the config read, then
 * `startServer`: store opened and migrated, decisions and allowlists loaded, app built, listening), and `cpuMs`,
 * the CPU time the process used until then (all its threads: on a busy machine, wall time says little).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { constants, createHistogram, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { writeHeapSnapshot } from 'node:v8';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/logger.js';
import { startServer } from '../src/server.js';
import type { GcKind, PerfStats } from './child.js';

// from the process's start (performance's time origin) to here: node's start and the static imports
const bootMs = performance.now();

const KINDS: Record<number, GcKind> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** The event-loop sampler's period, in ms. */
const TICK_MS = 1;

/**
 * GC pauses (PerformanceObserver 'gc' entries: each one main-thread time the collector took, by kind) and the
 * event-loop delay over a window that `reset` starts. The delay is sampled by a timer every TICK_MS: how late
 * it fires is how long the loop was held by the work before it (GC pauses included), so its max is the longest
 * the server could not answer anyone. (monitorEventLoopDelay measures between two of its own ticks and drops
 * the first after a reset: it misses work that starts right after the reset, as a pull the bench starts then.)
 */
class PerfWindow {
  private readonly loop = createHistogram();
  private readonly observer = new PerformanceObserver((list) => this.add(list.getEntries()));
  private gc: PerfStats['gc'] = { count: 0, totalMs: 0, maxMs: 0, kinds: {} };
  private from = performance.now();
  private last = this.from;

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
    setInterval(() => {
      const now = performance.now();
      // in µs: the histogram takes integers from 1
      this.loop.record(Math.max(1, Math.round((now - this.last - TICK_MS) * 1000)));
      this.last = now;
    }, TICK_MS).unref();
  }

  private add(entries: readonly PerformanceEntry[]): void {
    for (const e of entries) {
      // entries arrive on a later tick: one that started before the window belongs to the previous one
      if (e.startTime < this.from) continue;
      const kind = KINDS[(e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'other';
      const k = (this.gc.kinds[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
      for (const s of [this.gc, k]) {
        s.count++;
        s.totalMs += e.duration;
        s.maxMs = Math.max(s.maxMs, e.duration);
      }
    }
  }

  reset(): void {
    this.from = performance.now();
    this.last = this.from;
    this.gc = { count: 0, totalMs: 0, maxMs: 0, kinds: {} };
    this.loop.reset();
  }

  /**
   * The window so far. A piece of work that holds the loop is sampled once the loop turns again, and GC entries
   * are made on a later tick: the read waits a few ms first, so that what just ended is counted.
   */
  async read(): Promise<PerfStats> {
    await new Promise((r) => setTimeout(r, 3));
    await new Promise((r) => setImmediate(r));
    this.add(this.observer.takeRecords());
    const ms = (us: number) => (Number.isFinite(us) ? us / 1000 : 0);
    const h = this.loop;
    return {
      windowMs: performance.now() - this.from,
      gc: structuredClone(this.gc),
      loop: { maxMs: ms(h.max), p99Ms: ms(h.percentile(99)), meanMs: ms(h.mean), samples: h.count },
    };
  }
}
const perf = new PerfWindow();

const cfgPath = process.argv[2];
if (!cfgPath) {
  process.stderr.write('usage: server-child.js <config.yaml>\n');
  process.exit(2);
}
const say = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench: 'ack', ...o })}\n`);

const config = loadConfig({ path: cfgPath, env: {} });
const logger = createLogger(config.logLevel);
perf.reset();
const server = await startServer(config, logger);
const startMs = performance.now() - bootMs;
const { user, system } = process.cpuUsage();
const cpuMs = (user + system) / 1000;
process.stdout.write(`${JSON.stringify({ bench: 'listening', url: server.url, pid: process.pid, bootMs, startMs, cpuMs })}\n`);
// read after the line above, so that the wait in read() does not delay it
const startPerf = perf.read();

let stopping: Promise<void> | undefined;
const stop = (why: string) =>
  (stopping ??= (async () => {
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    try {
      await server.close();
    } catch (err) {
      process.stderr.write(`server-child: close after ${why}: ${(err as Error).message}\n`);
    }
    process.exit(0);
  })());
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

let session: Session | undefined;
const post = <T>(method: string): Promise<T> =>
  new Promise((resolve, reject) => session!.post(method, (err, res) => (err ? reject(err) : resolve(res as T))));

async function command(line: string): Promise<void> {
  const [cmd, arg] = line.trim().split(/\s+/, 2);
  if (cmd === 'profile-start') {
    session ??= new Session();
    session.connect();
    await post('Profiler.enable');
    await post('Profiler.start');
    say({ cmd });
  } else if (cmd === 'profile-stop' && session && arg) {
    const { profile } = await post<{ profile: unknown }>('Profiler.stop');
    await post('Profiler.disable');
    session.disconnect();
    writeFileSync(arg, JSON.stringify(profile));
    say({ cmd, file: arg });
  } else if (cmd === 'heap-snapshot' && arg) {
    say({ cmd, file: writeHeapSnapshot(arg) });
  } else if (cmd === 'memory') {
    say({ cmd, ...process.memoryUsage() });
  } else if (cmd === 'perf-reset') {
    perf.reset();
    say({ cmd });
  } else if (cmd === 'perf-start') {
    say({ cmd, ...(await startPerf) });
  } else if (cmd === 'perf') {
    say({ cmd, ...(await perf.read()) });
  } else if (cmd) {
    say({ cmd, error: 'unknown command' });
  }
}

const rl = createInterface({ input: process.stdin });
let queue: Promise<void> = Promise.resolve();
rl.on('line', (line) => {
  queue = queue
    .then(() => command(line))
    .catch((err: Error) => {
      say({ cmd: line, error: err.message });
    });
});
rl.on('close', () => void stop('stdin closed'));
