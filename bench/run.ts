/**
 * `npm run bench [-- --decisions 100000 --duration 10 --connections 50 --db sqlite]`
 * (or BENCH_DECISIONS, BENCH_DURATION, BENCH_CONNECTIONS, BENCH_DB; argv wins). `--db postgres` uses a fresh
 * database on the PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth), dropped at the end. Diagnostics:
 *   --profile DIR         CPU profiles of the server (banned-IP query phase, first stream startup, busy ingestion
 *                         phase), written to DIR and summarised after the table (BENCH_PROFILE)
 *   --heap-snapshot DIR   a heap snapshot of the restarted server after its startup pull (BENCH_HEAP_SNAPSHOT)
 *   --node-args="…"       extra node flags for the server, e.g. --node-args="--max-semi-space-size=2" (BENCH_NODE_ARGS)
 *
 * Starts the Local API as a child process on 127.0.0.1 with a fresh store, loads N decisions
 * through the public API (`POST /v1/alerts`, 1,000 decisions per alert, as `cscli decisions import`), then
 * measures query mode, a stream startup pull, the server's RSS and alert ingestion, and prints every
 * figure beside its target. A benchmark, not a test: nothing in the test suite runs it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { hashApiKey } from '../src/auth/api-key.js';
import { hashPassword } from '../src/auth/password.js';
import { loadConfig } from '../src/config/load.js';
import { addItems } from '../src/store/allowlist-items.js';
import { addSubscribers } from '../src/store/allowlist-subscribers.js';
import { createAllowlist } from '../src/store/allowlists.js';
import { createBouncer } from '../src/store/bouncers.js';
import { usingDb } from '../src/store/db.js';
import { createMachine } from '../src/store/machines.js';
import { buildRequest, runLoad, type LoadResult } from './load.js';
import { summarizeProfile, type CpuProfile } from './profile.js';

// ---------------------------------------------------------------- options

interface Options {
  decisions: number;
  seconds: number;
  connections: number;
  profileDir: string | undefined;
  heapDir: string | undefined;
  nodeArgs: string[];
  db: 'sqlite' | 'postgres';
}

function intOption(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: an integer from ${min} to ${max}, not '${raw}'`);
  return n;
}

function secondsOption(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replace(/s$/, ''));
  if (!Number.isFinite(n) || n <= 0 || n > 600) throw new Error(`--duration: seconds, above 0 and up to 600, not '${raw}'`);
  return n;
}

/** Loaded IPs count up from 10.0.0.1; ingested ones from 10.128.0.0, so the two never meet. */
const MAX_DECISIONS = 0x7f_ffff;

function options(env: NodeJS.ProcessEnv): Options {
  const { values: argv } = parseArgs({
    options: {
      decisions: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      profile: { type: 'string' },
      'heap-snapshot': { type: 'string' },
      'node-args': { type: 'string' },
      db: { type: 'string' },
    },
  });
  const db = argv.db ?? env.BENCH_DB ?? 'sqlite';
  if (db !== 'sqlite' && db !== 'postgres') throw new Error(`--db: sqlite or postgres, not '${db}'`);
  return {
    decisions: intOption('decisions', argv.decisions ?? env.BENCH_DECISIONS, 100_000, 1, MAX_DECISIONS),
    seconds: secondsOption(argv.duration ?? env.BENCH_DURATION, 10),
    connections: intOption('connections', argv.connections ?? env.BENCH_CONNECTIONS, 50, 1, 1000),
    profileDir: argv.profile ?? env.BENCH_PROFILE,
    heapDir: argv['heap-snapshot'] ?? env.BENCH_HEAP_SNAPSHOT,
    nodeArgs: (argv['node-args'] ?? env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
    db,
  };
}

const env = process.env;
let opts: Options;
try {
  opts = options(env);
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exit(2);
}
const {
  decisions: N,
  seconds: SECONDS,
  connections: CONNS,
  profileDir: PROFILE_DIR,
  heapDir: HEAP_DIR,
  nodeArgs: NODE_ARGS,
  db: DB,
} = opts;
const BIG = N >= 1_000_000;

const UA = 'lapis-bench/1.0';
const PASSWORD = 'bench-password-0123456789';
const QUERY_KEY = 'bench-query-key-0123456789abcdef';
const STREAM_KEY = 'bench-stream-key-0123456789abcdef';
const STREAM_KEY_2 = 'bench-stream-key-2-0123456789abcdef';
/** Decisions per alert while loading: as `cscli decisions import` batches them. */
const IMPORT_BATCH = 1000;
/** Import requests in flight at once. */
const IMPORT_PARALLEL = 4;
/** Items of the allowlist that covers the query bouncer in the allowlisted query phase. */
const ALLOW_ITEMS = 1000;

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

const ip4 = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const LOADED_BASE = (10 << 24) >>> 0;
const INGEST_BASE = ((10 << 24) | (128 << 16)) >>> 0;
/** The k-th loaded IP, k from 1 to N: 10.0.0.1 upward. */
const loadedIp = (k: number) => ip4(LOADED_BASE + k);

// ---------------------------------------------------------------- the child and cleanup

const dir = mkdtempSync(join(tmpdir(), 'lapis-bench-'));
let child: ChildProcess | undefined;
let cleaned = false;

/** The PostgreSQL database made for this run, if any. */
let pgDatabase: string | undefined;
const psql = (sql: string) =>
  execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-qAtc', sql], { stdio: 'pipe', timeout: 30_000 });

function cleanupSync(): void {
  if (cleaned) return;
  cleaned = true;
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  if (pgDatabase) {
    try {
      psql(`DROP DATABASE IF EXISTS ${pgDatabase} WITH (FORCE)`);
    } catch (err) {
      process.stderr.write(`bench: could not drop database ${pgDatabase}: ${(err as Error).message}\n`);
    }
  }
}
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    log(`${sig}: stopping the server and removing ${dir}`);
    cleanupSync();
    process.exit(130);
  });
}

/** Closes the child gracefully (stdin closed, then SIGTERM), killing it if it lingers. */
async function stopChild(): Promise<void> {
  const c = child;
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  c.stdin?.end();
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

interface ServerChild {
  pid: number;
  url: string;
  port: number;
  command(line: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

function startChild(cfgPath: string): Promise<ServerChild> {
  const script = new URL('./server-child.js', import.meta.url).pathname;
  const proc = spawn(process.execPath, [...NODE_ARGS, script, cfgPath], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...env, LAPIS_CONFIG: '' },
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

/** The server's memory from /proc, in MiB: resident set (and its anonymous part), and its peak. */
function memory(pid: number): { rss: number; anon: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, anon: kib('RssAnon') / 1024, hwm: kib('VmHWM') / 1024 };
}

/** Clock ticks per second, for /proc/<pid>/stat. */
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the command name, which sits in parentheses: state is field 3, utime 14, stime 15
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

type Measured = LoadResult & { serverCores: number; benchCores: number };

/** Runs a load phase and adds how many cores the server and this process used meanwhile. */
async function withCpu(pid: number, run: () => Promise<LoadResult>): Promise<Measured> {
  const s0 = cpuSeconds(pid);
  const b0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await run();
  const wall = (performance.now() - t0) / 1000;
  const b = process.cpuUsage(b0);
  return { ...r, serverCores: (cpuSeconds(pid) - s0) / wall, benchCores: (b.user + b.system) / 1e6 / wall };
}

const cores = (r: Measured) => `${r.serverCores.toFixed(2)} / ${r.benchCores.toFixed(2)} cores`;

// ---------------------------------------------------------------- requests

async function http(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 30_000) });
}

/** An alert as `cscli decisions import` sends it: many decisions, no events. */
function importAlert(values: string[]): string {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const scenario = `import bench: ${values.length} IPs`;
  return JSON.stringify([
    {
      capacity: 0,
      created_at: now,
      decisions: values.map((value) => ({ duration: '4h', origin: 'cscli', scenario, scope: 'Ip', type: 'ban', value })),
      events: [],
      events_count: 0,
      leakspeed: '0',
      message: '',
      scenario,
      scenario_hash: '',
      scenario_version: '',
      simulated: false,
      source: { scope: 'cscli/import', value: '' },
      start_at: now,
      stop_at: now,
    },
  ]);
}

/** An alert as an agent sends it for an ssh brute force: one decision, two events carrying meta. */
function agentAlert(ip: string, now: string): string {
  const event = (n: number) => ({
    meta: [
      { key: 'log_type', value: 'ssh_failed-auth' },
      { key: 'service', value: 'ssh' },
      { key: 'source_ip', value: ip },
      { key: 'target_user', value: `user${n}` },
    ],
    timestamp: now,
  });
  const scenario = 'crowdsecurity/ssh-bf';
  return JSON.stringify([
    {
      capacity: 5,
      decisions: [{ duration: '4h', origin: 'crowdsec', scenario, scope: 'Ip', type: 'ban', value: ip }],
      events: [event(1), event(2)],
      events_count: 6,
      labels: null,
      leakspeed: '10s',
      message: `Ip ${ip} performed '${scenario}' (6 events over 2s) at ${now}`,
      remediation: true,
      scenario,
      scenario_hash: '4441dcff07020f6690d998b7101e642359ba405c2abb83565bbbdcee36de280f',
      scenario_version: '0.1',
      simulated: false,
      source: { ip, scope: 'Ip', value: ip },
      start_at: now,
      stop_at: now,
    },
  ]);
}

async function login(base: string): Promise<string> {
  const res = await http(`${base}/v1/watchers/login`, {
    method: 'POST',
    headers: { 'user-agent': UA, 'content-type': 'application/json' },
    body: JSON.stringify({ machine_id: 'bench', password: PASSWORD }),
  });
  const body = (await res.json()) as { token?: string; message?: string };
  if (res.status !== 200 || !body.token) throw new Error(`login: ${res.status} ${body.message ?? ''}`);
  return body.token;
}

async function loadDecisions(base: string, token: string): Promise<number> {
  const started = performance.now();
  const batches = Math.ceil(N / IMPORT_BATCH);
  let nextBatch = 0;
  let loaded = 0;
  let reported = 0;
  const loader = async () => {
    // bounded by the number of batches
    while (nextBatch < batches) {
      const b = nextBatch++;
      const from = b * IMPORT_BATCH + 1;
      const to = Math.min(N, from + IMPORT_BATCH - 1);
      const values = Array.from({ length: to - from + 1 }, (_, i) => loadedIp(from + i));
      const res = await http(`${base}/v1/alerts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'user-agent': UA, 'content-type': 'application/json' },
        body: importAlert(values),
        timeoutMs: 120_000,
      });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`load: POST /v1/alerts ${res.status} ${text.slice(0, 300)}`);
      loaded += values.length;
      if (loaded - reported >= Math.max(IMPORT_BATCH, N / 10) || loaded === N) {
        reported = loaded;
        log(`  loaded ${loaded.toLocaleString('en')}/${N.toLocaleString('en')} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      }
    }
  };
  await Promise.all(Array.from({ length: IMPORT_PARALLEL }, loader));
  return (performance.now() - started) / 1000;
}

/** GET /v1/decisions?ip= as the query bouncer; the parsed body. */
async function query(base: string, ip: string): Promise<unknown> {
  const res = await http(`${base}/v1/decisions?ip=${ip}`, { headers: { 'x-api-key': QUERY_KEY, 'user-agent': UA } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /v1/decisions?ip=${ip}: ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as unknown;
}

/** What a banned IP's answer must be: an array holding a ban on that IP. */
function holdsBan(body: unknown, ip: string): boolean {
  return (
    Array.isArray(body) &&
    body.some((d: { value?: unknown; type?: unknown; scope?: unknown }) => d.value === ip && d.type === 'ban' && d.scope === 'Ip')
  );
}

interface Pull {
  seconds: number;
  ttfb: number;
  bytes: number;
  fresh: number;
  deleted: number;
}

/** GET /v1/decisions/stream?startup=true, timed to the last byte of the body. */
async function fetchStartup(base: string, key: string): Promise<{ seconds: number; ttfb: number; raw: Buffer }> {
  const t0 = performance.now();
  const res = await http(`${base}/v1/decisions/stream?startup=true`, {
    headers: { 'x-api-key': key, 'user-agent': UA },
    timeoutMs: 300_000,
  });
  const ttfb = (performance.now() - t0) / 1000;
  const raw = Buffer.from(await res.arrayBuffer());
  const seconds = (performance.now() - t0) / 1000;
  if (res.status !== 200) throw new Error(`stream startup: ${res.status} ${raw.toString('utf8', 0, 200)}`);
  return { seconds, ttfb, raw };
}

/** Counts what a startup pull returned. */
function checkPull({ seconds, ttfb, raw }: { seconds: number; ttfb: number; raw: Buffer }): Pull {
  const body = JSON.parse(raw.toString('utf8')) as { new: unknown[] | null; deleted: unknown[] | null };
  const pull = { seconds, ttfb, bytes: raw.length, fresh: body.new?.length ?? 0, deleted: body.deleted?.length ?? 0 };
  log(
    `  ${seconds.toFixed(3)} s (first byte ${ttfb.toFixed(3)} s), ${fmt(pull.bytes)} bytes, ${fmt(pull.fresh)} new, ${pull.deleted} deleted`,
  );
  return pull;
}

/** The server's V8 heap, in MiB. */
async function heap(server: ServerChild): Promise<{ used: number; total: number; external: number }> {
  const m = await server.command('memory');
  const mib = (k: string) => Number(m[k]) / 2 ** 20;
  return { used: mib('heapUsed'), total: mib('heapTotal'), external: mib('external') };
}

// ---------------------------------------------------------------- the report

interface Row {
  measure: string;
  value: string;
  target: string;
  /** true: met, false: missed, undefined: no target. */
  ok?: boolean | undefined;
}

function table(rows: Row[]): string {
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

const fmt = (n: number, digits = 0) => n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function queryRows(name: string, r: Measured, p99Target: number): Row[] {
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

function statusText(r: LoadResult): string {
  return [...r.statuses].map(([s, n]) => `${s}×${n}`).join(' ');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const loadAtStart = loadavg()[0]!;
  log(`${fmt(N)} decisions, ${SECONDS} s per phase, ${CONNS} connections; node ${process.version}, nproc ${nproc}; temp dir ${dir}`);

  // 1. config and credentials, straight into the store
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const cfgPath = join(dir, 'config.yaml');
  let dbYaml = '';
  if (DB === 'postgres') {
    pgDatabase = `lapis_bench_${process.pid}_${Date.now().toString(36)}`;
    psql(`CREATE DATABASE ${pgDatabase}`);
    dbYaml = `db_config:\n  type: postgresql\n  host: 127.0.0.1\n  port: 5432\n  user: postgres\n  db_name: ${pgDatabase}\n  sslmode: disable\n`;
  }
  writeFileSync(
    cfgPath,
    `api:\n  server:\n    listen_uri: 127.0.0.1:0\n  admin:\n    enabled: false\nconfig_paths:\n  data_dir: ${dataDir}\n${dbYaml}`,
  );
  const config = loadConfig({ path: cfgPath, env: {} });
  await usingDb(config.db, async (db) => {
    await createMachine(db, { machineId: 'bench', passwordHash: await hashPassword(PASSWORD), isValidated: true });
    await createBouncer(db, { name: 'bench-query', keyHash: hashApiKey(QUERY_KEY) });
    await createBouncer(db, { name: 'bench-stream', keyHash: hashApiKey(STREAM_KEY) });
  });

  // 2. the server, as a child process
  let server = await startChild(cfgPath);
  let base = server.url;
  const memStart = memory(server.pid);
  log(`server on ${base} (pid ${server.pid}), RSS ${memStart.rss.toFixed(0)} MiB`);
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
  const profiles: Array<{ name: string; file: string }> = [];
  const profiled = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    if (!PROFILE_DIR) return fn();
    const file = resolve(PROFILE_DIR, `${name}.cpuprofile`);
    await server.command('profile-start');
    const out = await fn();
    await server.command(`profile-stop ${file}`);
    profiles.push({ name, file });
    return out;
  };

  // 3. log in, load N decisions through the API
  let token = await login(base);
  log(`loading ${fmt(N)} decisions through POST /v1/alerts (${IMPORT_BATCH} per alert, ${IMPORT_PARALLEL} in flight)…`);
  const loadSeconds = await loadDecisions(base, token);
  const memLoaded = memory(server.pid);
  for (const k of [1, N]) {
    if (!holdsBan(await query(base, loadedIp(k)), loadedIp(k))) throw new Error(`after loading, ${loadedIp(k)} is not banned`);
  }

  // 4. query mode
  const bannedIps = Array.from({ length: Math.min(1000, N) }, (_, i) => loadedIp(1 + ((i * 7919) % N)));
  const cleanIps = Array.from({ length: 508 }, (_, i) => (i < 254 ? `192.0.2.${i + 1}` : `198.51.100.${i - 253}`));
  const keyHeaders = { 'X-Api-Key': QUERY_KEY, 'User-Agent': UA };
  const bannedReqs = bannedIps.map((ip) => buildRequest('GET', `/v1/decisions?ip=${ip}`, keyHeaders));
  const cleanReqs = cleanIps.map((ip) => buildRequest('GET', `/v1/decisions?ip=${ip}`, keyHeaders));
  for (const ip of bannedIps.slice(0, 3)) if (!holdsBan(await query(base, ip), ip)) throw new Error(`query check: ${ip} should be banned`);
  for (const ip of cleanIps.slice(0, 3)) if ((await query(base, ip)) !== null) throw new Error(`query check: ${ip} should get null`);
  const queryCap = Math.ceil(SECONDS * 200_000);
  const phase = { host: '127.0.0.1', port: server.port, connections: CONNS, seconds: SECONDS, okStatus: 200, maxRequests: queryCap };
  // a short unrecorded warm-up, so the measured phases do not include the JIT compiling the request path
  const warmup = Math.min(2, SECONDS / 5);
  log(`warm-up: ${warmup} s of queries…`);
  await runLoad({
    ...phase,
    seconds: warmup,
    request: (i) => (i % 2 ? bannedReqs[(i >> 1) % bannedReqs.length]! : cleanReqs[(i >> 1) % cleanReqs.length]!),
  });
  log(`query mode, banned IPs: ${CONNS} connections for ${SECONDS} s…`);
  const qBanned = await profiled('query-banned', () =>
    withCpu(server.pid, () => runLoad({ ...phase, request: (i) => bannedReqs[i % bannedReqs.length]! })),
  );
  log(
    `  ${fmt(qBanned.rps)} req/s, p50 ${qBanned.p50ms.toFixed(2)} ms, p99 ${qBanned.p99ms.toFixed(2)} ms, statuses ${statusText(qBanned)}`,
  );
  log(`query mode, clean IPs: ${CONNS} connections for ${SECONDS} s…`);
  const qClean = await withCpu(server.pid, () => runLoad({ ...phase, request: (i) => cleanReqs[i % cleanReqs.length]! }));
  log(`  ${fmt(qClean.rps)} req/s, p50 ${qClean.p50ms.toFixed(2)} ms, p99 ${qClean.p99ms.toFixed(2)} ms, statuses ${statusText(qClean)}`);
  const bannedSample = qBanned.sample;
  const bannedSampleOk = !!bannedSample && holdsBan(JSON.parse(bannedSample.body), bannedIps[bannedSample.request % bannedIps.length]!);
  const cleanSampleOk = qClean.sample?.body === 'null';
  if (!bannedSampleOk) log(`  banned sample answer is wrong: ${bannedSample?.body.slice(0, 200)}`);
  if (!cleanSampleOk) log(`  clean sample answer is wrong: ${qClean.sample?.body.slice(0, 200)}`);
  const memQuery = memory(server.pid);

  // 4b. the same queries by a bouncer that ALLOW_ITEMS allowlist items cover (one of them a banned IP, which must read null)
  const queried = new Set(bannedIps);
  const hiddenIp = loadedIp([2, 3, 4, 5, 6].find((k) => !queried.has(loadedIp(k)))!);
  const benchList = await usingDb(config.db, async (db) => {
    const list = await createAllowlist(db, 'bench', 'the query bouncer only');
    const values = Array.from({ length: ALLOW_ITEMS - 1 }, (_, i) => `172.${16 + (i >> 8)}.${i & 255}.0/24`);
    await addItems(db, list.id, {
      values: [hiddenIp, ...values],
      description: '',
      expiresAt: null,
      actor: { source_type: 'user', identifier: 'bench' },
    });
    await addSubscribers(db, list.id, 'remediation_component_integration', ['bench-query']);
    return list.id;
  });
  const allowlistedAt = performance.now();
  while ((await query(base, hiddenIp)) !== null) {
    if (performance.now() - allowlistedAt > 5000) throw new Error(`${hiddenIp} is still served 5 s after being allowlisted`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const allowlistSeconds = (performance.now() - allowlistedAt) / 1000;
  log(`query mode, banned IPs, the bouncer under ${fmt(ALLOW_ITEMS)} allowlist items: ${CONNS} connections for ${SECONDS} s…`);
  const qAllow = await withCpu(server.pid, () => runLoad({ ...phase, request: (i) => bannedReqs[i % bannedReqs.length]! }));
  log(`  ${fmt(qAllow.rps)} req/s, p50 ${qAllow.p50ms.toFixed(2)} ms, p99 ${qAllow.p99ms.toFixed(2)} ms, statuses ${statusText(qAllow)}`);
  const allowSampleOk = !!qAllow.sample && holdsBan(JSON.parse(qAllow.sample.body), bannedIps[qAllow.sample.request % bannedIps.length]!);

  // 5. stream startup, by a bouncer that never pulled
  log('stream startup pull…');
  const pull = checkPull(await profiled('stream-startup', () => fetchStartup(base, STREAM_KEY)));
  const memStream = memory(server.pid);
  const heapStream = await heap(server);

  // 5a. the list now covers the stream bouncer too: its next delta must find the one decision its items hide
  await usingDb(config.db, (db) => addSubscribers(db, benchList, 'remediation_component_integration', ['bench-stream']));
  await new Promise((r) => setTimeout(r, 1500)); // the server's poll
  const deltaAt = performance.now();
  const deltaRes = await http(`${base}/v1/decisions/stream`, { headers: { 'x-api-key': STREAM_KEY, 'user-agent': UA } });
  const deltaBody = JSON.parse(await deltaRes.text()) as { new: unknown[] | null; deleted: { value: string }[] | null };
  const deltaSeconds = (performance.now() - deltaAt) / 1000;
  const deltaOk = deltaBody.new === null && deltaBody.deleted?.length === 1 && deltaBody.deleted[0]!.value === hiddenIp;
  log(
    `  stream delta after the list covered the stream bouncer: ${(deltaSeconds * 1000).toFixed(1)} ms, ${deltaOk ? 'as expected' : 'WRONG'}`,
  );

  // 5b. the same store served by a fresh process: memory without what loading through the API left behind
  log('restarting the server on the same store, and pulling again with another fresh bouncer…');
  await stopChild();
  await usingDb(config.db, (db) => createBouncer(db, { name: 'bench-stream-2', keyHash: hashApiKey(STREAM_KEY_2) }));
  const restartAt = performance.now();
  server = await startChild(cfgPath);
  const restartSeconds = (performance.now() - restartAt) / 1000;
  base = server.url;
  const memRestart = memory(server.pid);
  const pull2 = checkPull(await fetchStartup(base, STREAM_KEY_2));
  const memRestartPull = memory(server.pid);
  const heapRestartPull = await heap(server);
  log(
    `  ready in ${restartSeconds.toFixed(1)} s, RSS ${memRestart.rss.toFixed(0)} MiB; after the pull ${memRestartPull.rss.toFixed(0)} MiB`,
  );
  if (HEAP_DIR) {
    mkdirSync(HEAP_DIR, { recursive: true });
    const file = resolve(HEAP_DIR, 'restarted-after-pull.heapsnapshot');
    await server.command(`heap-snapshot ${file}`, 300_000);
    log(`  heap snapshot: ${file}`);
  }

  // 6. ingestion: single-decision alerts as agents send them, a new IP each
  token = await login(base);
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  let ingested = 0;
  const alertHeaders = { Authorization: `Bearer ${token}`, 'User-Agent': UA };
  const ingest = { host: '127.0.0.1', port: server.port, seconds: SECONDS, okStatus: 201, maxRequests: Math.ceil(SECONDS * 50_000) };
  const nextAlert = () => buildRequest('POST', '/v1/alerts', alertHeaders, agentAlert(ip4(INGEST_BASE + ingested++), now));
  log(`ingestion: 1 connection for ${SECONDS} s…`);
  const ing1 = await withCpu(server.pid, () => runLoad({ ...ingest, connections: 1, request: nextAlert }));
  log(`  ${fmt(ing1.rps)} alerts/s, p50 ${ing1.p50ms.toFixed(2)} ms, p99 ${ing1.p99ms.toFixed(2)} ms, statuses ${statusText(ing1)}`);
  log(`ingestion: ${CONNS} connections for ${SECONDS} s…`);
  const ingN = await profiled(`ingest-${CONNS}`, () =>
    withCpu(server.pid, () => runLoad({ ...ingest, connections: CONNS, request: nextAlert })),
  );
  log(`  ${fmt(ingN.rps)} alerts/s, p50 ${ingN.p50ms.toFixed(2)} ms, p99 ${ingN.p99ms.toFixed(2)} ms, statuses ${statusText(ingN)}`);
  const lastIngested = ip4(INGEST_BASE + ingested - 1);
  const ingestVisible = ingN.badStatus + ingN.failures > 0 || holdsBan(await query(base, lastIngested), lastIngested);
  const memEnd = memory(server.pid);

  // 7. the report
  const p99Target = BIG ? 5 : 10;
  const startupTarget = BIG ? 3 : N <= 100_000 ? 0.25 : undefined;
  const rssTarget = N <= 100_000 ? 170 : undefined;
  const pullRows = (name: string, p: Pull): Row[] => [
    {
      measure: `${name}: full body`,
      value: `${p.seconds.toFixed(3)} s`,
      target: startupTarget === undefined ? '' : BIG ? `< ${startupTarget} s` : `<= ${startupTarget} s`,
      ok: startupTarget === undefined ? undefined : BIG ? p.seconds < startupTarget : p.seconds <= startupTarget,
    },
    { measure: `${name}: first byte`, value: `${p.ttfb.toFixed(3)} s`, target: '' },
    { measure: `${name}: body`, value: `${fmt(p.bytes)} B (${(p.bytes / 2 ** 20).toFixed(1)} MiB)`, target: '' },
    {
      measure: `${name}: new / deleted`,
      value: `${fmt(p.fresh)} / ${fmt(p.deleted)}`,
      target: `${fmt(N)} / 0`,
      ok: p.fresh === N && p.deleted === 0,
    },
  ];
  const rows: Row[] = [
    { measure: 'load through the API', value: `${loadSeconds.toFixed(1)} s, ${fmt(N / loadSeconds)} decisions/s`, target: '' },
    { measure: 'RSS after loading', value: `${memLoaded.rss.toFixed(0)} MiB`, target: '' },
    ...queryRows('banned IP', qBanned, p99Target),
    ...queryRows('clean IP', qClean, p99Target),
    ...queryRows(`banned IP, ${fmt(ALLOW_ITEMS)} allowlist items`, qAllow, p99Target),
    {
      measure: 'allowlisted ban hidden from the bouncer after',
      value: `${allowlistSeconds.toFixed(2)} s`,
      target: '<= 1 s (the poll)',
      ok: allowlistSeconds <= 1,
    },
    {
      measure: 'query answers spot-checked',
      value: bannedSampleOk && cleanSampleOk && allowSampleOk ? 'as expected' : 'WRONG',
      target: 'array with the IP / null',
      ok: bannedSampleOk && cleanSampleOk && allowSampleOk,
    },
    ...pullRows('stream startup', pull),
    {
      measure: `stream delta, ${fmt(ALLOW_ITEMS)} items newly covering the bouncer`,
      value: `${(deltaSeconds * 1000).toFixed(1)} ms, ${deltaOk ? '1 in deleted' : 'WRONG'}`,
      target: 'the hidden ban in deleted',
      ok: deltaOk,
    },
    {
      measure: 'RSS after startup pull',
      value: `${memStream.rss.toFixed(0)} MiB (anon ${memStream.anon.toFixed(0)})`,
      target: rssTarget === undefined ? '(set for 100k)' : `<= ${rssTarget} MiB`,
      ok: rssTarget === undefined ? undefined : memStream.rss <= rssTarget,
    },
    { measure: '  heap used / heap total', value: `${heapStream.used.toFixed(0)} / ${heapStream.total.toFixed(0)} MiB`, target: '' },
    {
      measure: 'restarted on the same store: ready',
      value: `${restartSeconds.toFixed(1)} s, RSS ${memRestart.rss.toFixed(0)} MiB`,
      target: '',
    },
    ...pullRows('  then stream startup', pull2),
    {
      measure: '  then RSS after startup pull',
      value: `${memRestartPull.rss.toFixed(0)} MiB (anon ${memRestartPull.anon.toFixed(0)})`,
      target: rssTarget === undefined ? '(set for 100k)' : `<= ${rssTarget} MiB`,
      ok: rssTarget === undefined ? undefined : memRestartPull.rss <= rssTarget,
    },
    {
      measure: '  heap used / heap total',
      value: `${heapRestartPull.used.toFixed(0)} / ${heapRestartPull.total.toFixed(0)} MiB`,
      target: '',
    },
    { measure: 'ingestion, 1 connection', value: `${fmt(ing1.rps)} alerts/s`, target: '' },
    { measure: 'ingestion, 1 connection: p50 / p99', value: `${ing1.p50ms.toFixed(2)} / ${ing1.p99ms.toFixed(2)} ms`, target: '' },
    { measure: 'ingestion, 1 connection: CPU server / bench', value: cores(ing1), target: '' },
    {
      measure: 'ingestion, 1 connection: errors',
      value: `${ing1.badStatus + ing1.failures} of ${fmt(ing1.requests)}`,
      target: '0',
      ok: ing1.badStatus + ing1.failures === 0,
    },
    { measure: `ingestion, ${CONNS} connections`, value: `${fmt(ingN.rps)} alerts/s`, target: '' },
    { measure: `ingestion, ${CONNS} connections: p50 / p99`, value: `${ingN.p50ms.toFixed(2)} / ${ingN.p99ms.toFixed(2)} ms`, target: '' },
    { measure: `ingestion, ${CONNS} connections: CPU server / bench`, value: cores(ingN), target: '' },
    {
      measure: `ingestion, ${CONNS} connections: errors`,
      value: `${ingN.badStatus + ingN.failures} of ${fmt(ingN.requests)}`,
      target: '0',
      ok: ingN.badStatus + ingN.failures === 0,
    },
    { measure: 'ingested decision answers a query', value: ingestVisible ? 'yes' : 'NO', target: 'yes', ok: ingestVisible },
    {
      measure: 'RSS at the end, restarted server (peak)',
      value: `${memEnd.rss.toFixed(0)} MiB (${memEnd.hwm.toFixed(0)} MiB)`,
      target: '',
    },
  ];
  const header = [
    `Lapis LAPI benchmark: ${fmt(N)} decisions, ${SECONDS} s per phase, ${CONNS} connections, ${DB === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`,
    `node ${process.version}, nproc ${nproc}, ${cpu}, load average at start ${loadAtStart.toFixed(2)}`,
    `server RSS: ${memStart.rss.toFixed(0)} MiB at start with an empty store (anon ${memStart.anon.toFixed(0)}), ${memQuery.rss.toFixed(0)} MiB after the query phases`,
  ];
  process.stdout.write(`\n${header.join('\n')}\n\n${table(rows)}\n`);
  for (const p of profiles) {
    process.stdout.write(`\nCPU profile of the server, ${p.name} (${p.file}):\n`);
    process.stdout.write(`${summarizeProfile(JSON.parse(readFileSync(p.file, 'utf8')) as CpuProfile)}\n`);
  }
}

main()
  .then(async () => {
    await stopChild();
    cleanupSync();
  })
  .catch(async (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    await stopChild().catch(() => undefined);
    cleanupSync();
    process.exit(1);
  });
