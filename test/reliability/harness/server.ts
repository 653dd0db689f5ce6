import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** dist/src/cli/main.js, from dist/test/reliability/harness/. */
const MAIN = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const MEMORY_PROBE = fileURLToPath(new URL('./memory-probe.js', import.meta.url));
/** What is kept of a child's output for failure messages: its logs are otherwise discarded, so a long soak holds no more. */
const TAIL_BYTES = 64 * 1024;

export interface ServeOptions {
  /** Preloads memory-probe.js (with `--expose-gc`) and opens an IPC channel, so that `memory()` can ask the child for its heap. */
  memoryProbe?: boolean;
  startTimeoutMs?: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A real `lapis serve` child process (node dist/src/cli/main.js serve -c CONFIG). */
export class LapisProcess {
  private tail = '';
  private probeSeq = 0;
  readonly exited: Promise<Exit>;
  url = '';
  adminUrl: string | undefined;

  private constructor(readonly proc: ChildProcess) {
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    const keep = (d: Buffer) => {
      this.tail += d.toString();
      if (this.tail.length > 2 * TAIL_BYTES) this.tail = this.tail.slice(-TAIL_BYTES);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** The last lines the child printed. */
  output(): string {
    return this.tail.slice(-TAIL_BYTES);
  }

  /**
   * Spawns the server and resolves once it logged both listeners (`Lapis Local API listening on HOST:PORT`,
   * then the admin API's). The child is SIGKILLed when the test ends, whatever happened.
   */
  static async start(t: { after(fn: () => unknown): void }, configPath: string, opts: ServeOptions = {}): Promise<LapisProcess> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.LAPIS_CONFIG; // the -c flag decides
    const args = [...(opts.memoryProbe ? ['--expose-gc', '--import', MEMORY_PROBE] : []), MAIN, 'serve', '-c', configPath];
    const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe', ...(opts.memoryProbe ? ['ipc' as const] : [])] });
    const p = new LapisProcess(proc);
    t.after(() => p.running && proc.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`lapis serve did not start:\n${p.output()}`)), opts.startTimeoutMs ?? 30_000);
      const look = () => {
        const api = /"msg":"Lapis Local API listening on ([^"]+)"/.exec(p.tail);
        const admin = /"msg":"Lapis admin API listening on ([^"]+)"/.exec(p.tail);
        if (api && admin) {
          p.url = `http://${api[1]}`;
          p.adminUrl = `http://${admin[1]}`;
          clearTimeout(timer);
          proc.stdout!.off('data', look);
          resolve();
        }
      };
      proc.stdout!.on('data', look);
      void p.exited.then((e) => {
        clearTimeout(timer);
        reject(new Error(`lapis serve exited (${e.code ?? e.signal}) before listening:\n${p.output()}`));
      });
    });
    return p;
  }

  /** `kill -9`: no shutdown code runs, as in a crash or an OOM kill. */
  async kill9(): Promise<Exit> {
    if (this.running) this.proc.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM (graceful close), then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<Exit> {
    if (this.running) this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.running && this.proc.kill('SIGKILL'), graceMs);
    const e = await this.exited;
    clearTimeout(timer);
    return e;
  }

  /**
   * The child's `process.memoryUsage()`, through memory-probe.js, after a full GC when `gc`; undefined without
   * the probe or when it does not answer within 2 s.
   */
  memory(gc = false): Promise<NodeJS.MemoryUsage | undefined> {
    if (!this.proc.connected) return Promise.resolve(undefined);
    const id = ++this.probeSeq;
    return new Promise((resolve) => {
      const done = (v: NodeJS.MemoryUsage | undefined) => {
        clearTimeout(timer);
        this.proc.off('message', onMessage);
        resolve(v);
      };
      const onMessage = (m: unknown) => {
        const r = m as { probe?: string; id?: number; usage?: NodeJS.MemoryUsage };
        if (r.probe === 'memory' && r.id === id) done(r.usage);
      };
      const timer = setTimeout(() => done(undefined), 2000);
      this.proc.on('message', onMessage);
      this.proc.send({ probe: 'memory', id, gc }, (err) => err && done(undefined));
    });
  }
}
