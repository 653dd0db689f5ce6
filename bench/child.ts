// The server under test as a child process (`server-child.ts`): starting and stopping it, talking to it on
// stdin/stdout, and reading its memory and CPU time from /proc.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { LoadResult } from './load.js';

export interface ServerChild {
  pid: number;
  url: string;
  port: number;
  /** When it was spawned and when it said it listens (performance.now() of this process). */
  spawnedAt: number;
  listeningAt: number;
  /** What the child said of its start: node's start and the imports, then startServer, and its CPU time until listening, in ms. */
  boot: { bootMs: number; startMs: number; cpuMs: number };
  command(line: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export type GcKind = 'minor' | 'major' | 'incremental' | 'weakcb' | 'other';

/** GC pauses and event-loop delay in the server over a window (`perf-reset` to `perf` in server-child.ts). */
export interface PerfStats {
  windowMs: number;
  /** GC pauses: how many, their sum and the longest, in all and by kind. */
  gc: { count: number; totalMs: number; maxMs: number; kinds: Partial<Record<GcKind, { count: number; totalMs: number; maxMs: number }>> };
  /** Event-loop delay, sampled every millisecond: the longest, the 99th percentile and the mean, in ms. */
  loop: { maxMs: number; p99Ms: number; meanMs: number; samples: number };
}

/** The child running now (at most one at a time), for stopChild and killChild. */
let child: ChildProcess | undefined;

/** Starts the server on `cfgPath`; resolves once it listens. */
export function startChild(cfgPath: string, nodeArgs: readonly string[]): Promise<ServerChild> {
  const script = new URL('./server-child.js', import.meta.url).pathname;
  const spawnedAt = performance.now();
  const proc = spawn(process.execPath, [...nodeArgs, script, cfgPath], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, LAPIS_CONFIG: '' },
  });
  child = proc;
  const acks: Array<(o: Record<string, unknown>) => void> = [];
  return new Promise((resolveChild, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not start within 60 s')), 60_000);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code ?? signal}) before it was ready`));
    });
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        process.stderr.write(`[server] ${line}\n`);
        return;
      }
      if (o.bench === 'listening') {
        clearTimeout(timer);
        const url = String(o.url);
        resolveChild({
          pid: proc.pid!,
          url,
          port: Number(new URL(url).port),
          spawnedAt,
          listeningAt: performance.now(),
          boot: { bootMs: Number(o.bootMs), startMs: Number(o.startMs), cpuMs: Number(o.cpuMs) },
          command: (cmd, timeoutMs = 60_000) =>
            new Promise((res, rej) => {
              const t = setTimeout(() => rej(new Error(`server-child: no answer to '${cmd}'`)), timeoutMs);
              acks.push((a) => {
                clearTimeout(t);
                if (a.error) rej(new Error(`server-child: ${cmd}: ${String(a.error)}`));
                else res(a);
              });
              proc.stdin!.write(`${cmd}\n`);
            }),
        });
      } else if (o.bench === 'ack') {
        acks.shift()?.(o);
      } else if (typeof o.level === 'number' && o.level >= 40) {
        process.stderr.write(`[server] ${line}\n`);
      }
    });
  });
}

/** Closes the child gracefully (stdin closed, then SIGTERM), killing it if it lingers. */
export async function stopChild(): Promise<void> {
  const c = child;
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  c.stdin?.end();
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Kills the child at once, if it runs (for the exit and signal handlers, which cannot wait). */
export function killChild(): void {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** The server's memory from /proc, in MiB: resident set (and its anonymous part), and its peak. */
export function memory(pid: number): { rss: number; anon: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, anon: kib('RssAnon') / 1024, hwm: kib('VmHWM') / 1024 };
}

/**
 * Runs `fn` and returns the server's peak RSS meanwhile, in MiB: VmHWM after resetting it (writing 5 to
 * /proc/<pid>/clear_refs, Linux 4.0 and later), and /proc sampled every 20 ms in case the reset is refused.
 */
export async function peakMemory<T>(pid: number, fn: () => Promise<T>): Promise<{ out: T; peak: number }> {
  let hwmReset = true;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    hwmReset = false;
  }
  let sampled = memory(pid).rss;
  const sampler = setInterval(() => {
    sampled = Math.max(sampled, memory(pid).rss);
  }, 20);
  try {
    const out = await fn();
    const now = memory(pid);
    return { out, peak: Math.max(sampled, now.rss, hwmReset ? now.hwm : 0) };
  } finally {
    clearInterval(sampler);
  }
}

/** The server's V8 heap, in MiB. */
export async function heap(server: ServerChild): Promise<{ used: number; total: number; external: number }> {
  const m = await server.command('memory');
  const mib = (k: string) => Number(m[k]) / 2 ** 20;
  return { used: mib('heapUsed'), total: mib('heapTotal'), external: mib('external') };
}

/** Runs `fn` in a fresh window of the server's GC pauses and event-loop delay, and returns both. */
export async function watched<T>(server: ServerChild, fn: () => Promise<T>): Promise<{ out: T; perf: PerfStats }> {
  await server.command('perf-reset');
  const out = await fn();
  return { out, perf: await perfStats(server, 'perf') };
}

/** The server's GC pauses and event-loop delay: of the window so far (`perf`), or during its start (`perf-start`). */
export async function perfStats(server: ServerChild, cmd: 'perf' | 'perf-start'): Promise<PerfStats> {
  const { windowMs, gc, loop } = (await server.command(cmd)) as unknown as PerfStats;
  return { windowMs, gc, loop };
}

/** Clock ticks per second, for /proc/<pid>/stat (asked once, when first needed). */
let clkTck: number | undefined;

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  clkTck ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the command name, which sits in parentheses: state is field 3, utime 14, stime 15
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / clkTck;
}

export type Measured = LoadResult & { serverCores: number; benchCores: number };

/** Runs a load phase and adds how many cores the server and this process used meanwhile. */
export async function withCpu(pid: number, run: () => Promise<LoadResult>): Promise<Measured> {
  const s0 = cpuSeconds(pid);
  const b0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await run();
  const wall = (performance.now() - t0) / 1000;
  const b = process.cpuUsage(b0);
  return { ...r, serverCores: (cpuSeconds(pid) - s0) / wall, benchCores: (b.user + b.system) / 1e6 / wall };
}
