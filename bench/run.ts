/**
 * `npm run bench [-- --decisions 100000 --duration 10 --connections 50 --db sqlite]`
 * (or BENCH_DECISIONS, BENCH_DURATION, BENCH_CONNECTIONS, BENCH_DB; argv wins). `--db postgres` uses a fresh
 * database on the PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth), dropped at the end. Diagnostics:
 *   --profile DIR         CPU profiles of the server (banned-IP query phase, first stream startup, busy ingestion
 *                         phase), written to DIR and summarised after the table (BENCH_PROFILE)
 *   --heap-snapshot DIR   a heap snapshot of the restarted server after its startup pull (BENCH_HEAP_SNAPSHOT)
 *   --node-args="…"       extra node flags for the server, e.g. --node-args="--max-semi-space-size=2" (BENCH_NODE_ARGS)
 *   --json FILE           also write the report as JSON: the header, the rows as printed, and each phase's raw
 *                         figures (BENCH_JSON)
 *   --metrics             the server exports Prometheus metrics, and `lapis metrics` prints its tables after the
 *                         report (BENCH_METRICS=1); off by default, so figures compare with earlier runs
 *
 * Starts the Local API as a child process on 127.0.0.1 with a fresh store, loads N decisions
 * through the public API (`POST /v1/alerts`, 1,000 decisions per alert, as `cscli decisions import`), then
 * measures query mode, a stream startup pull, the server's RSS, alert ingestion and how soon another process's write is served, and prints every
 * figure beside its target. A benchmark, not a test: nothing in the test suite runs it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hashApiKey } from '../src/auth/api-key.js';
import { hashPassword } from '../src/auth/password.js';
import { loadConfig } from '../src/config/load.js';
import { createBouncer } from '../src/store/bouncers.js';
import { usingDb } from '../src/store/db.js';
import { createMachine } from '../src/store/machines.js';
import { MAX_DECISIONS, PASSWORD, QUERY_KEY, STREAM_KEY } from './api.js';
import { killChild, memory, startChild, stopChild } from './child.js';
import { allowlistPhase } from './phases/allowlist.js';
import { baselinePhase } from './phases/baseline.js';
import type { PhaseContext } from './phases/context.js';
import { importPhase } from './phases/import.js';
import { propagationPhase } from './phases/propagation.js';
import { blocklistPhase } from './phases/blocklists.js';
import { ingestPhase } from './phases/ingest.js';
import { queryPhase } from './phases/query.js';
import { streamPhase } from './phases/stream.js';
import { summarizeProfile, type CpuProfile } from './profile.js';
import { fmt, log, printReport, targets } from './report.js';

interface Options {
  decisions: number;
  seconds: number;
  connections: number;
  profileDir: string | undefined;
  heapDir: string | undefined;
  nodeArgs: string[];
  db: 'sqlite' | 'postgres';
  json: string | undefined;
  metrics: boolean;
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
      json: { type: 'string' },
      metrics: { type: 'boolean' },
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
    json: argv.json ?? env.BENCH_JSON,
    metrics: argv.metrics ?? env.BENCH_METRICS === '1',
  };
}

/** A port free on 127.0.0.1 now (the stream phase restarts the server on the same config). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
    srv.once('error', reject);
  });
}

/** The run's temp dir and PostgreSQL database, removed at exit, on a signal, or on failure. */
interface Scratch {
  dir: string;
  /** The PostgreSQL database made for this run, if any. */
  pgDatabase?: string | undefined;
}

const psql = (sql: string) =>
  execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-qAtc', sql], { stdio: 'pipe', timeout: 30_000 });

/** Makes the temp dir and installs the handlers that clean up after the run, whichever way it ends. */
function scratch(): { s: Scratch; cleanupSync: () => void } {
  const s: Scratch = { dir: mkdtempSync(join(tmpdir(), 'lapis-bench-')) };
  let cleaned = false;
  const cleanupSync = () => {
    if (cleaned) return;
    cleaned = true;
    killChild();
    rmSync(s.dir, { recursive: true, force: true });
    if (s.pgDatabase) {
      try {
        psql(`DROP DATABASE IF EXISTS ${s.pgDatabase} WITH (FORCE)`);
      } catch (err) {
        process.stderr.write(`bench: could not drop database ${s.pgDatabase}: ${(err as Error).message}\n`);
      }
    }
  };
  process.on('exit', cleanupSync);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      log(`${sig}: stopping the server and removing ${s.dir}`);
      cleanupSync();
      process.exit(130);
    });
  }
  return { s, cleanupSync };
}

async function main(o: Options, s: Scratch): Promise<void> {
  const { decisions: N, seconds: SECONDS, connections: CONNS } = o;
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const loadAtStart = loadavg()[0]!;
  log(`${fmt(N)} decisions, ${SECONDS} s per phase, ${CONNS} connections; node ${process.version}, nproc ${nproc}; temp dir ${s.dir}`);

  // 1. config and credentials, straight into the store
  const dataDir = join(s.dir, 'data');
  mkdirSync(dataDir);
  const cfgPath = join(s.dir, 'config.yaml');
  let dbYaml = '';
  if (o.db === 'postgres') {
    s.pgDatabase = `lapis_bench_${process.pid}_${Date.now().toString(36)}`;
    psql(`CREATE DATABASE ${s.pgDatabase}`);
    dbYaml = `db_config:\n  type: postgresql\n  host: 127.0.0.1\n  port: 5432\n  user: postgres\n  db_name: ${s.pgDatabase}\n  sslmode: disable\n`;
  }
  const metricsPort = o.metrics ? await freePort() : 0;
  const metricsYaml = o.metrics ? `prometheus:\n  enabled: true\n  listen_addr: 127.0.0.1\n  listen_port: ${metricsPort}\n` : '';
  writeFileSync(
    cfgPath,
    `api:\n  server:\n    listen_uri: 127.0.0.1:0\n  admin:\n    enabled: false\nconfig_paths:\n  data_dir: ${dataDir}\n${dbYaml}${metricsYaml}`,
  );
  const config = loadConfig({ path: cfgPath, env: {} });
  await usingDb(config.db, async (db) => {
    await createMachine(db, { machineId: 'bench', passwordHash: await hashPassword(PASSWORD), isValidated: true });
    await createBouncer(db, { name: 'bench-query', keyHash: hashApiKey(QUERY_KEY) });
    await createBouncer(db, { name: 'bench-stream', keyHash: hashApiKey(STREAM_KEY) });
  });

  // 2. the server, as a child process
  let server = await startChild(cfgPath, o.nodeArgs);
  const memStart = memory(server.pid);
  log(`server on ${server.url} (pid ${server.pid}), RSS ${memStart.rss.toFixed(0)} MiB`);
  if (o.profileDir) mkdirSync(o.profileDir, { recursive: true });
  const profileDir = o.profileDir;
  const profiles: Array<{ name: string; file: string }> = [];
  const ctx: PhaseContext = {
    n: N,
    seconds: SECONDS,
    connections: CONNS,
    targets: targets(N),
    db: config.db,
    figures: {},
    // the server at the time of the call: the stream phase restarts it
    async profiled(name, fn) {
      if (!profileDir) return fn();
      const file = resolve(profileDir, `${name}.cpuprofile`);
      await server.command('profile-start');
      const out = await fn();
      await server.command(`profile-stop ${file}`);
      profiles.push({ name, file });
      return out;
    },
  };

  // 3. load N decisions through the API; 4. query mode, then under an allowlist; 5. stream mode and a restart; 6. ingestion
  const loaded = await importPhase(ctx, server);
  const queried = await queryPhase(ctx, server);
  const baseline = await baselinePhase(queried);
  const allowlisted = await allowlistPhase(ctx, server, queried);
  const streamed = await streamPhase(ctx, server, allowlisted, { cfgPath, nodeArgs: o.nodeArgs, heapDir: o.heapDir });
  server = streamed.server;
  const ingested = await ingestPhase(ctx, server);
  // 7. another process's write, until served: the CLI's here, and node A's on node B (PostgreSQL)
  const propagated = await propagationPhase(ctx, server, { cfgPath, dir: s.dir, engine: o.db === 'sqlite' ? 'SQLite' : 'PostgreSQL' });

  // 8. blocklists: a firewall's content and a subscribed bouncer's startup, at the run's size
  const listed = await blocklistPhase(ctx, server);

  // 9. the report
  const header = [
    `Lapis LAPI benchmark: ${fmt(N)} decisions, ${SECONDS} s per phase, ${CONNS} connections, ${o.db === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`,
    `node ${process.version}, nproc ${nproc}, ${cpu}, load average at start ${loadAtStart.toFixed(2)}`,
    `server RSS: ${memStart.rss.toFixed(0)} MiB at start with an empty store (anon ${memStart.anon.toFixed(0)}), ${queried.rssAfter.toFixed(0)} MiB after the query phases`,
  ];
  const rows = [...loaded, ...queried.rows, ...baseline, ...allowlisted.rows, ...streamed.rows, ...ingested, ...propagated, ...listed];
  printReport(header, rows);
  if (o.json) {
    const options = { decisions: N, seconds: SECONDS, connections: CONNS, db: o.db, nodeArgs: o.nodeArgs };
    writeFileSync(o.json, `${JSON.stringify({ header, options, rows, figures: ctx.figures }, null, 2)}\n`);
    log(`JSON report: ${o.json}`);
  }
  if (o.metrics) {
    // what an operator would see of this run: `lapis metrics` against the server, still up
    const cli = new URL('../src/cli/main.js', import.meta.url).pathname;
    const tables = execFileSync(process.execPath, [cli, 'metrics', '--url', `http://127.0.0.1:${metricsPort}/metrics`], {
      encoding: 'utf8',
    });
    process.stdout.write(`\nlapis metrics after the run:\n${tables}`);
  }
  for (const p of profiles) {
    process.stdout.write(`\nCPU profile of the server, ${p.name} (${p.file}):\n`);
    process.stdout.write(`${summarizeProfile(JSON.parse(readFileSync(p.file, 'utf8')) as CpuProfile)}\n`);
  }
}

let opts: Options;
try {
  opts = options(process.env);
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exit(2);
}
const { s, cleanupSync } = scratch();
main(opts, s)
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
