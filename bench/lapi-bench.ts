/**
 * `npm run bench [-- --decisions 100000 --seconds 10 --connections 50 --db sqlite|postgres]`
 * Loads decisions through the public API into a real `lapis serve` child process, then measures
 * query mode, stream startup, alert ingestion and the server's memory. A benchmark, not a test.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hashApiKey } from '../src/auth/api-key.js';
import { hashPassword } from '../src/auth/password.js';
import { loadConfig } from '../src/config/load.js';
import { createBouncer } from '../src/store/bouncers.js';
import { usingDb } from '../src/store/db.js';
import { createMachine } from '../src/store/machines.js';
import { buildRequest, runLoad, type LoadResult } from './load.js';

const { values: args } = parseArgs({
  options: {
    decisions: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    db: { type: 'string', default: 'sqlite' },
  },
});
const N = Number(args.decisions);
const SECONDS = Number(args.seconds);
const CONNS = Number(args.connections);
const log = (msg: string) => process.stderr.write(`${msg}\n`);

const dir = mkdtempSync(join(tmpdir(), 'lapis-bench-'));
let child: ChildProcess | undefined;
let pgDb: string | undefined;
function cleanup() {
  child?.kill('SIGKILL');
  if (pgDb) execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'test', '-qAtc', `DROP DATABASE IF EXISTS ${pgDb} WITH (FORCE)`], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

/** An IPv4 address from a counter, 10.0.0.1 upward. */
const ip = (n: number) => `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

function alertBody(values: string[], scenario: string): string {
  const now = new Date().toISOString();
  return JSON.stringify([
    {
      capacity: 0, events: [], events_count: values.length, leakspeed: '0', message: '', scenario, scenario_hash: '', scenario_version: '',
      simulated: false, source: { scope: '', value: '' }, start_at: now, stop_at: now,
      decisions: values.map((value) => ({ duration: '4h', origin: 'cscli', scenario, scope: 'Ip', type: 'ban', value })),
    },
  ]);
}

async function main() {
  let dbYaml = '';
  if (args.db === 'postgres') {
    pgDb = `lapis_bench_${randomBytes(4).toString('hex')}`;
    execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'test', '-qAtc', `CREATE DATABASE ${pgDb}`]);
    dbYaml = `db_config:\n  type: postgresql\n  host: 127.0.0.1\n  port: 5432\n  user: postgres\n  db_name: ${pgDb}\n  sslmode: disable\n`;
  } else if (args.db !== 'sqlite') throw new Error(`--db: sqlite or postgres, not '${args.db}'`);
  const cfgPath = join(dir, 'config.yaml');
  writeFileSync(cfgPath, `api:\n  server:\n    listen_uri: 127.0.0.1:0\nconfig_paths:\n  data_dir: ${join(dir, 'data')}\n${dbYaml}`);
  const config = loadConfig({ path: cfgPath, env: {} });
  await usingDb(config.db, async (db) => {
    await createMachine(db, { machineId: 'bench', passwordHash: await hashPassword('bench-password'), isValidated: true });
    await createBouncer(db, { name: 'query', keyHash: hashApiKey('query-key') });
    await createBouncer(db, { name: 'stream', keyHash: hashApiKey('stream-key') });
  });

  const cli = new URL('../src/cli/main.js', import.meta.url).pathname;
  const proc = spawn(process.execPath, [cli, 'serve', '-c', cfgPath], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LAPIS_CONFIG: '', NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '' } });
  child = proc;
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (code) => reject(new Error(`lapis serve exited (${code}): ${out}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  log(`lapis serve on ${url} (pid ${proc.pid}, ${args.db}); rss ${rssMiB().toFixed(0)} MiB`);

  const login = await fetch(`${url}/v1/watchers/login`, { method: 'POST', headers: { 'user-agent': 'lapis-bench/1' }, body: JSON.stringify({ machine_id: 'bench', password: 'bench-password' }) });
  const { token } = (await login.json()) as { token: string };

  // 1. load N decisions, 1,000 per alert, 4 requests in flight
  let t = performance.now();
  let sent = 0;
  const loader = async () => {
    while (sent < N) {
      const from = sent;
      const to = (sent = Math.min(N, sent + 1000));
      const values = Array.from({ length: to - from }, (_, i) => ip(from + i + 1));
      const r = await fetch(`${url}/v1/alerts`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'user-agent': 'lapis-bench/1' }, body: alertBody(values, 'bench import') });
      if (r.status !== 201) throw new Error(`load: ${r.status} ${await r.text()}`);
      if (to % 100_000 === 0) log(`  loaded ${to}/${N}`);
    }
  };
  await Promise.all([loader(), loader(), loader(), loader()]);
  const loadSeconds = (performance.now() - t) / 1000;
  log(`loaded ${N} decisions in ${loadSeconds.toFixed(1)} s`);

  // 2. query mode
  const key = { 'X-Api-Key': 'query-key', 'User-Agent': 'lapis-bench/1' };
  const banned = Array.from({ length: 1000 }, (_, i) => buildRequest('GET', `/v1/decisions?ip=${ip(1 + ((i * 7919) % N))}`, key));
  const clean = Array.from({ length: 1000 }, (_, i) => buildRequest('GET', `/v1/decisions?ip=192.0.2.${i % 250}`, key));
  const sample = await (await fetch(`${url}/v1/decisions?ip=${ip(1)}`, { headers: key })).text();
  if (!sample.includes(`"value":"${ip(1)}"`)) throw new Error(`query check failed: ${sample.slice(0, 200)}`);
  if ((await (await fetch(`${url}/v1/decisions?ip=192.0.2.1`, { headers: key })).text()) !== 'null') throw new Error('not-banned check failed');
  log('query mode, banned IPs…');
  const qBanned = await runLoad({ host: '127.0.0.1', port, connections: CONNS, seconds: SECONDS, requests: banned, okStatus: 200 });
  log('query mode, clean IPs…');
  const qClean = await runLoad({ host: '127.0.0.1', port, connections: CONNS, seconds: SECONDS, requests: clean, okStatus: 200 });

  // 3. stream startup, by a bouncer that never pulled
  t = performance.now();
  const res = await fetch(`${url}/v1/decisions/stream?startup=true`, { headers: { 'X-Api-Key': 'stream-key' } });
  const body = await res.text();
  const startupSeconds = (performance.now() - t) / 1000;
  const got = ((JSON.parse(body) as { new: unknown[] | null }).new ?? []).length;
  if (got !== N) throw new Error(`stream startup returned ${got} decisions, expected ${N}`);
  const rssAfterStartup = rssMiB();

  // 4. ingestion: single-decision alerts, as agents send them
  const alertsReq = Array.from({ length: 5000 }, (_, i) =>
    buildRequest('POST', '/v1/alerts', { Authorization: `Bearer ${token}`, 'User-Agent': 'lapis-bench/1' }, alertBody([`172.16.${(i >> 8) & 255}.${i & 255}`], 'crowdsecurity/ssh-bf')),
  );
  log('ingestion, 1 connection…');
  const ing1 = await runLoad({ host: '127.0.0.1', port, connections: 1, seconds: SECONDS, requests: alertsReq, okStatus: 201 });
  log(`ingestion, ${CONNS} connections…`);
  const ingN = await runLoad({ host: '127.0.0.1', port, connections: CONNS, seconds: SECONDS, requests: alertsReq, okStatus: 201 });

  const row = (name: string, value: string, target: string) => `| ${name.padEnd(34)} | ${value.padStart(22)} | ${target.padEnd(22)} |`;
  const q = (r: LoadResult) => `${Math.round(r.rps).toLocaleString('en')} req/s`;
  const lat = (r: LoadResult) => `${r.p50ms.toFixed(2)} / ${r.p99ms.toFixed(2)} ms`;
  const lines = [
    `Lapis benchmark: ${N.toLocaleString('en')} active decisions, ${args.db}, node ${process.version}, ${availableParallelism()} cores, ${CONNS} connections, ${SECONDS} s per phase`,
    '',
    row('measure', 'value', 'target'),
    `|${'-'.repeat(36)}|${'-'.repeat(24)}|${'-'.repeat(24)}|`,
    row('load through the API', `${Math.round(N / loadSeconds).toLocaleString('en')} decisions/s`, ''),
    row('query, banned IP', q(qBanned), '≥ 15,000 req/s'),
    row('query, banned IP p50 / p99', lat(qBanned), `p99 < ${N >= 1_000_000 ? 5 : 10} ms`),
    row('query, clean IP', q(qClean), '≥ 15,000 req/s'),
    row('query, clean IP p50 / p99', lat(qClean), `p99 < ${N >= 1_000_000 ? 5 : 10} ms`),
    row('query errors', String(qBanned.errors + qClean.errors), '0'),
    row('stream startup', `${startupSeconds.toFixed(2)} s`, N >= 1_000_000 ? '< 3 s' : '≤ 0.25 s'),
    row('stream startup body', `${(body.length / 2 ** 20).toFixed(1)} MiB`, ''),
    row('RSS after startup pull', `${rssAfterStartup.toFixed(0)} MiB`, N >= 1_000_000 ? '' : '≤ 170 MiB'),
    row('ingestion, 1 connection', `${Math.round(ing1.rps).toLocaleString('en')} alerts/s`, ''),
    row(`ingestion, ${CONNS} connections`, `${Math.round(ingN.rps).toLocaleString('en')} alerts/s`, ''),
    row(`ingestion errors (1 / ${CONNS} conn.)`, `${ing1.errors} / ${ingN.errors}`, '0'),
    row('RSS at the end', `${rssMiB().toFixed(0)} MiB`, ''),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main()
  .then(() => cleanup())
  .catch((err) => {
    cleanup();
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exit(1);
  });
