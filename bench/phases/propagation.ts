// How soon another process's write is served: a `lapis decisions add` (a real CLI process) seen by the bench
// server's bouncer, and, on PostgreSQL, an alert pushed to node A seen by a bouncer asking node B. Each is also
// timed from its commit, as a connection of the bench's own first reads the row: the CLI's target is judged from
// there (before it, the time is the CLI's own work), node A's from the moment the alert is sent.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashApiKey } from '../../src/auth/api-key.js';
import { hashPassword } from '../../src/auth/password.js';
import { loadConfig } from '../../src/config/load.js';
import { createBouncer } from '../../src/store/bouncers.js';
import { type Db, usingDb } from '../../src/store/db.js';
import { createMachine } from '../../src/store/machines.js';
import { http, login, PASSWORD, QUERY_KEY, query, UA } from '../api.js';
import type { ServerChild } from '../child.js';
import { log, type Row } from '../report.js';
import type { PhaseContext } from './context.js';

/** Writes timed per measure. */
const WRITES = 20;
const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
/** TEST-NET-3: neither loaded, queried nor ingested by the other phases. */
const ip = (set: number, i: number) => `203.0.113.${set * 100 + i + 1}`;
/** The wall clock with sub-millisecond precision (the CLI's `now` is another process's Date.now()). */
const wallNow = () => performance.timeOrigin + performance.now();

export interface Latencies {
  median: number;
  max: number;
  all: number[];
}

/** A random pause between writes, longer than the 500 ms poll, so that they do not fall in step with it. */
const gap = () => new Promise((r) => setTimeout(r, 20 + Math.random() * 600));

const show = (l: Latencies) => `${l.median.toFixed(1)} / ${l.max.toFixed(1)} ms`;
const spread = (l: Latencies) => l.all.map((m) => m.toFixed(0)).join(' ');

function latencies(ms: number[]): Latencies {
  const s = [...ms].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2, max: s[s.length - 1]!, all: ms };
}

/** Asks `base` for `value` every millisecond until it is served; the wall time when it was. */
async function servedAt(base: string, value: string, key: string, timeoutMs = 10_000): Promise<number> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const res = await http(`${base}/v1/decisions?ip=${value}`, { headers: { 'x-api-key': key, 'user-agent': UA } });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`GET /v1/decisions?ip=${value}: ${res.status} ${body.slice(0, 200)}`);
    if (body !== 'null') return wallNow();
    if (performance.now() > end) throw new Error(`${value} not served ${timeoutMs} ms after it was written`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LAPIS_CONFIG: '' } });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`lapis ${args.join(' ')}: exit ${code}: ${err}`))));
  });
}

/** Asks the store itself for `value` every millisecond, on a connection of its own; the wall time its row was first read. */
async function committedAt(db: Db, value: string, timeoutMs = 10_000): Promise<number> {
  const end = performance.now() + timeoutMs;
  while (!(await db.selectFrom('decisions').select('id').where('value', '=', value).executeTakeFirst())) {
    if (performance.now() > end) throw new Error(`${value} not in the store ${timeoutMs} ms after it was written`);
    await new Promise((r) => setTimeout(r, 1));
  }
  return wallNow();
}

/**
 * CLI write → served: WRITES runs of `lapis decisions add`, each timed from the decision's `created_at` (the
 * CLI's clock, read before its transaction) to the first query of the bench server's bouncer that returns it;
 * and the part of it after the commit (from when the bench's own connection to the store first reads the row).
 */
async function cliToBouncer(
  server: ServerChild,
  ctx: PhaseContext,
  cfgPath: string,
): Promise<{ total: Latencies; afterCommit: Latencies }> {
  const total: number[] = [];
  const afterCommit: number[] = [];
  await usingDb(ctx.db, async (db) => {
    for (let i = 0; i < WRITES; i++) {
      const value = ip(0, i);
      await gap();
      const [, seen, committed] = await Promise.all([
        run(['decisions', 'add', '--ip', value, '--duration', '1h', '-c', cfgPath]),
        servedAt(server.url, value, QUERY_KEY),
        committedAt(db, value),
      ]);
      const row = await db.selectFrom('decisions').select('created_at').where('value', '=', value).executeTakeFirstOrThrow();
      total.push(seen - Number(row.created_at));
      afterCommit.push(seen - committed);
    }
  });
  return { total: latencies(total), afterCommit: latencies(afterCommit) };
}

const psql = (sql: string) =>
  execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-qAtc', sql], { stdio: 'pipe', timeout: 30_000 });

/** Starts `lapis serve` on `cfgPath`; resolves with its URL once it listens. */
function serve(cfgPath: string): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [CLI, 'serve', '-c', cfgPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LAPIS_CONFIG: '' },
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lapis serve did not start: ${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        proc.stdout!.off('data', onData);
        proc.stdout!.resume();
        resolve({ proc, url: `http://${m[1]}` });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('exit', (code) => reject(new Error(`lapis serve exited with ${code}: ${out}`)));
  });
}

/**
 * Node A → node B on PostgreSQL: two `lapis serve` processes on a database of their own; WRITES alerts pushed
 * to A, each timed from the moment it is sent to the first query to B that returns its decision, and from the
 * moment the bench's own connection to the database first reads its row.
 */
async function nodeToNode(dir: string): Promise<{ total: Latencies; afterCommit: Latencies }> {
  const database = `lapis_bench_prop_${process.pid}_${Date.now().toString(36)}`;
  psql(`CREATE DATABASE ${database}`);
  const nodes: ChildProcess[] = [];
  const cleanup = () => {
    for (const n of nodes) if (n.exitCode === null && n.signalCode === null) n.kill('SIGKILL');
    try {
      psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    } catch (err) {
      process.stderr.write(`bench: could not drop database ${database}: ${(err as Error).message}\n`);
    }
  };
  process.once('exit', cleanup);
  try {
    const cfg = (name: string) => {
      const dataDir = join(dir, `node-${name}`);
      mkdirSync(dataDir, { recursive: true });
      const path = join(dir, `node-${name}.yaml`);
      writeFileSync(
        path,
        `api:\n  server:\n    listen_uri: 127.0.0.1:0\n  admin:\n    enabled: false\nconfig_paths:\n  data_dir: ${dataDir}\n` +
          `db_config:\n  type: postgresql\n  host: 127.0.0.1\n  port: 5432\n  user: postgres\n  db_name: ${database}\n  sslmode: disable\n`,
      );
      return path;
    };
    const [cfgA, cfgB] = [cfg('a'), cfg('b')];
    return await usingDb(loadConfig({ path: cfgA, env: {} }).db, async (db) => {
      await createMachine(db, { machineId: 'bench', passwordHash: await hashPassword(PASSWORD), isValidated: true });
      await createBouncer(db, { name: 'bench-query', keyHash: hashApiKey(QUERY_KEY) });
      const a = await serve(cfgA);
      nodes.push(a.proc);
      const b = await serve(cfgB);
      nodes.push(b.proc);
      const token = await login(a.url);
      const total: number[] = [];
      const afterCommit: number[] = [];
      // one write first, not counted: a fresh process's first alert is its slowest (code compiled on first use)
      for (let i = -1; i < WRITES; i++) {
        const value = ip(1, i + 1);
        await gap();
        const sent = wallNow();
        const [res, seen, committed] = await Promise.all([
          http(`${a.url}/v1/alerts`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'user-agent': UA },
            body: JSON.stringify([manualAlert(value)]),
          }),
          servedAt(b.url, value, QUERY_KEY),
          committedAt(db, value),
        ]);
        if (res.status !== 201) throw new Error(`POST /v1/alerts to node A: ${res.status} ${await res.text()}`);
        if (i >= 0) {
          total.push(seen - sent);
          afterCommit.push(seen - committed);
        }
        if ((await query(a.url, value)) === null) throw new Error(`node A does not serve ${value}`);
      }
      return { total: latencies(total), afterCommit: latencies(afterCommit) };
    });
  } finally {
    process.off('exit', cleanup);
    cleanup();
  }
}

/** An alert as `cscli decisions add` sends it: one ban. */
function manualAlert(value: string) {
  const now = new Date().toISOString();
  const scenario = `manual 'ban' from 'bench'`;
  return {
    capacity: 0,
    decisions: [{ duration: '1h', origin: 'cscli', scenario, scope: 'Ip', type: 'ban', value }],
    events: [],
    events_count: 1,
    labels: null,
    leakspeed: '0',
    message: scenario,
    remediation: true,
    scenario,
    scenario_hash: '',
    scenario_version: '',
    simulated: false,
    source: { ip: value, scope: 'Ip', value },
    start_at: now,
    stop_at: now,
  };
}

function pgAnswers(): boolean {
  try {
    psql('select 1');
    return true;
  } catch {
    return false;
  }
}

/** Both propagation measures; the PostgreSQL one is skipped (and says so) when no PostgreSQL answers on 127.0.0.1. */
export async function propagationPhase(
  ctx: PhaseContext,
  server: ServerChild,
  o: { cfgPath: string; dir: string; engine: string },
): Promise<Row[]> {
  log(`propagation: ${WRITES} runs of lapis decisions add, each until the server's bouncer is served it…`);
  const cli = await cliToBouncer(server, ctx, o.cfgPath);
  const figures: Record<string, unknown> = { writes: WRITES, cliCommitToBouncer: cli.afterCommit, cliCreatedToBouncer: cli.total };
  ctx.figures.propagation = figures;
  log(`  after the commit, median / max ${show(cli.afterCommit)} (${spread(cli.afterCommit)})`);
  log(`  from the CLI's created_at ${show(cli.total)} (${spread(cli.total)})`);
  const rows: Row[] = [
    {
      measure: `propagation: CLI commit → bouncer (${o.engine}), median / max of ${WRITES}`,
      value: show(cli.afterCommit),
      target: '<= 50 ms',
      ok: cli.afterCommit.max <= 50,
    },
    { measure: "  from the CLI's created_at (its own work before the commit too)", value: show(cli.total), target: '' },
  ];
  if (!pgAnswers()) {
    log('propagation: no PostgreSQL on 127.0.0.1:5432, node A → node B skipped');
    rows.push({ measure: 'propagation: node A → node B (PostgreSQL)', value: 'skipped', target: 'no PostgreSQL on 127.0.0.1' });
    return rows;
  }
  log(`propagation: ${WRITES} alerts pushed to node A, each until node B serves it (PostgreSQL)…`);
  const nodes = await nodeToNode(o.dir);
  figures.pushToNodeB = nodes.total;
  figures.nodeCommitToNodeB = nodes.afterCommit;
  log(`  from the push to A, median / max ${show(nodes.total)} (${spread(nodes.total)})`);
  log(`  after the commit ${show(nodes.afterCommit)} (${spread(nodes.afterCommit)})`);
  rows.push(
    {
      measure: `propagation: push to node A → node B (PostgreSQL), median / max of ${WRITES}`,
      value: show(nodes.total),
      target: '<= 100 ms',
      ok: nodes.total.max <= 100,
    },
    { measure: '  of which after the commit', value: show(nodes.afterCommit), target: '' },
  );
  return rows;
}
