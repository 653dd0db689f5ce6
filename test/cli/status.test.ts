import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { sql } from 'kysely';
import { createBouncer, setLastPull } from '../../src/store/bouncers.js';
import { createMachine, touchHeartbeat } from '../../src/store/machines.js';
import { migrationState } from '../../src/store/migrate.js';
import { tempDir } from '../helpers/app.js';
import { hasOpenssl } from '../helpers/pki.js';
import { filePki, tlsYaml } from '../helpers/tls.js';
import { spawnServe } from '../logging/helpers.js';
import { cli, cliEnv, runMain, withEnvDb, type CliEnv } from './helpers.js';
import { freePort } from '../helpers/ports.js';

const MIN = 60_000;

async function envOnPort(t: TestContext, yaml = ''): Promise<{ env: CliEnv; port: number }> {
  const port = await freePort();
  return { env: cliEnv(t, `api:\n  server:\n    listen_uri: 127.0.0.1:${port}\n${yaml}`), port };
}

/** How the database line names the store: its file, or engine, address and name. */
function where(env: CliEnv): string {
  const c = env.config.db;
  return c.type === 'sqlite' ? c.db_path : `${c.type} ${c.host ?? 'localhost'}${c.port ? `:${c.port}` : ''}/${c.db_name ?? ''}`;
}

const appliedCount = (env: CliEnv) => withEnvDb(env, async (db) => (await migrationState(db)).applied.length);

test('status against a running lapis serve: one line per check; stale bouncers and machines warned about, exit 0', async (t) => {
  const { env, port } = await envOnPort(t);
  const now = Date.now();
  await withEnvDb(env, async (db) => {
    const bouncer = async (name: string, createdAgo: number, pulledAgo: number | null) => {
      const b = await createBouncer(db, { name, keyHash: `hash-${name}` }, now - createdAgo);
      if (pulledAgo !== null) await setLastPull(db, b.id, now - pulledAgo);
    };
    await bouncer('fresh', 300 * MIN, 1 * MIN);
    await bouncer('quiet', 300 * MIN, 90 * MIN);
    await bouncer('never-old', 120 * MIN, null);
    await bouncer('just-added', 1 * MIN, null);
    await bouncer('gone', 300 * MIN, 200 * MIN);
    await db.updateTable('bouncers').set({ revoked: 1 }).where('name', '=', 'gone').execute();
    const machine = async (id: string, createdAgo: number, beatAgo: number | null, isValidated = true) => {
      await createMachine(db, { machineId: id, passwordHash: 'x', isValidated }, now - createdAgo);
      if (beatAgo !== null) await touchHeartbeat(db, id, now - beatAgo);
    };
    await machine('web01', 60 * MIN, 0.2 * MIN);
    await machine('web02', 60 * MIN, 10 * MIN);
    await machine('web03', 60 * MIN, null);
    await machine('newcomer', 60 * MIN, null, false);
  });
  const applied = await appliedCount(env);
  const server = await spawnServe(t, env.configPath);
  assert.equal(server.url, `http://127.0.0.1:${port}`);

  const r = await runMain(['status', '-c', env.configPath]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const lines = r.stdout.split('\n');
  assert.match(lines[0]!, new RegExp(`^OK {3}server {6}http://127\\.0\\.0\\.1:${port} is up \\(\\d+ ms\\)$`));
  assert.deepEqual(lines.slice(1), [
    `OK   database    ${where(env)}: reachable, ${applied} migrations applied`,
    'SKIP certificate no api.server.tls.cert_file: plain HTTP',
    'WARN bouncers    2 bouncer(s) without a pull for 1h0m0s: quiet, never-old (never pulled) (1 revoked, not checked)',
    'WARN machines    2 machine(s) without a heartbeat for 2m0s: web02, web03 (no heartbeat yet) (1 not validated, not checked)',
    '',
  ]);

  // the thresholds are flags; -o json is one object with the facts
  const j = await cli(env, ['status', '-o', 'json', '--bouncer-stale', '3h', '--machine-stale', '2h']);
  assert.equal(j.code, 0, j.stderr);
  const report = JSON.parse(j.stdout) as { status: string; checks: Record<string, Record<string, unknown>> };
  assert.equal(report.status, 'ok');
  assert.deepEqual(
    Object.entries(report.checks).map(([k, c]) => [k, c.status]),
    [
      ['server', 'ok'],
      ['database', 'ok'],
      ['certificate', 'skip'],
      ['bouncers', 'ok'],
      ['machines', 'ok'],
    ],
  );
  assert.deepEqual(report.checks.bouncers, {
    status: 'ok',
    message: '4 bouncer(s), all pulled within 3h0m0s (1 revoked, not checked)',
    stale_after: '3h0m0s',
    stale: [],
    revoked: ['gone'],
  });
  const tight = await cli(env, ['status', '-o', 'json', '--machine-stale', '5s']);
  assert.deepEqual((JSON.parse(tight.stdout) as typeof report).checks.machines, {
    status: 'warn',
    message: '3 machine(s) without a heartbeat for 5s: web01, web02, web03 (no heartbeat yet) (1 not validated, not checked)',
    stale_after: '5s',
    stale: [
      { name: 'web01', last: new Date(Math.floor((now - 0.2 * MIN) / 1000) * 1000).toISOString().replace('.000Z', 'Z') },
      { name: 'web02', last: new Date(Math.floor((now - 10 * MIN) / 1000) * 1000).toISOString().replace('.000Z', 'Z') },
      { name: 'web03', last: null },
    ],
    not_validated: ['newcomer'],
  });
  const bad = await cli(env, ['status', '--machine-stale', 'soon']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^Error: lapis status: invalid argument "soon" for "--machine-stale" flag: /);
  assert.equal(await server.stop(), 0);
});

test('status with the server stopped: one FAIL line, exit 1 with one error line', async (t) => {
  const { env, port } = await envOnPort(t);
  const r = await runMain(['status', '-c', env.configPath]);
  assert.equal(r.code, 1);
  const lines = r.stdout.trimEnd().split('\n');
  assert.deepEqual(
    lines.filter((l) => l.startsWith('FAIL')),
    [`FAIL server      http://127.0.0.1:${port} is down: connect ECONNREFUSED 127.0.0.1:${port}`],
  );
  assert.deepEqual(
    lines.map((l) => l.slice(0, 16)),
    ['FAIL server     ', 'OK   database   ', 'SKIP certificate', 'OK   bouncers   ', 'OK   machines   '],
  );
  assert.equal(r.stderr, 'Error: lapis status: 1 check(s) failed: server\n');
});

test('status with a pending migration: the database fails, nothing is applied; a missing SQLite file is not created', async (t) => {
  const { env } = await envOnPort(t);
  const last = await withEnvDb(env, async (db) => {
    const { applied } = await migrationState(db);
    // as a store left by the previous version would be: this version's last migration not applied yet
    await sql`delete from lapis_migrations where name = ${applied.at(-1)!}`.execute(db);
    return applied.at(-1)!;
  });
  const r = await cli(env, ['status', '-o', 'json']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'Error: lapis status: 2 check(s) failed: server, database\n');
  const checks = (JSON.parse(r.stdout) as { checks: Record<string, { status: string; message: string; pending?: string[] }> }).checks;
  assert.equal(checks.database!.status, 'fail');
  assert.deepEqual(checks.database!.pending, [last]);
  assert.match(checks.database!.message, new RegExp(`: 1 migration\\(s\\) pending: ${last} \\(lapis migrate applies them\\)$`));
  assert.deepEqual(
    [checks.bouncers, checks.machines],
    [
      { status: 'skip', message: 'not checked: the database is unavailable' },
      { status: 'skip', message: 'not checked: the database is unavailable' },
    ],
  );
  // still pending: status looks, it does not migrate (opening the store the usual way would)
  const { openKysely } = await import('../../src/store/dialect.js');
  const k = await openKysely(env.config.db);
  t.after(() => k.destroy());
  assert.deepEqual((await migrationState(k)).pending, [last]);

  if (env.config.db.type === 'sqlite') {
    const dir = tempDir(t);
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `db_config:\n  type: sqlite\n  db_path: ${dir}/none.db\napi:\n  server:\n    listen_uri: 127.0.0.1:1\n`);
    const m = await runMain(['status', '-c', config]);
    assert.equal(m.code, 1);
    assert.match(m.stdout, new RegExp(`^FAIL database    ${dir}/none\\.db does not exist \\(lapis migrate creates it\\)$`, 'm'));
    assert.equal(existsSync(join(dir, 'none.db')), false);
  }
});

test('status with PostgreSQL unreachable (wrong port): the database fails in one line', async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    'db_config:\n  type: postgresql\n  host: 127.0.0.1\n  port: 1\n  user: lapis\n  password: x\n  db_name: lapis\n  sslmode: disable\napi:\n  server:\n    listen_uri: 127.0.0.1:1\n',
  );
  const r = await runMain(['status', '-c', config]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^FAIL database {4}postgresql 127\.0\.0\.1:1\/lapis is unreachable: connect ECONNREFUSED 127\.0\.0\.1:1$/m);
  assert.match(r.stdout, /^SKIP bouncers {4}not checked: the database is unavailable$/m);
  assert.equal(r.stderr, 'Error: lapis status: 2 check(s) failed: server, database\n');
});

test('status over HTTPS: a certificate 10 days from its end warns (exit 0), an expired one fails', { skip: !hasOpenssl }, async (t) => {
  const pki = filePki();
  // a server certificate from the test PKI's intermediate, valid 10 days
  const p = pki.path;
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', p('soon-key.pem')]);
  execFileSync('openssl', ['req', '-new', '-key', p('soon-key.pem'), '-subj', '/CN=localhost', '-out', p('soon.csr')]);
  execFileSync(
    'openssl',
    [
      'ca',
      '-batch',
      '-notext',
      '-config',
      p('inter/ca.cnf'),
      '-extensions',
      'server',
      '-days',
      '10',
      '-in',
      p('soon.csr'),
      '-out',
      p('soon.pem'),
    ],
    { stdio: 'ignore' },
  );
  writeFileSync(p('soon-chain.pem'), readFileSync(p('soon.pem'), 'utf8') + readFileSync(p('inter.pem'), 'utf8'));
  const { env, port } = await envOnPort(t, tlsYaml(pki, [], { cert_file: p('soon-chain.pem'), key_file: p('soon-key.pem') }));
  const server = await spawnServe(t, env.configPath);
  assert.equal(server.url, `https://127.0.0.1:${port}`);
  const r = await runMain(['status', '-c', env.configPath]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`^OK {3}server {6}https://127\\.0\\.0\\.1:${port} is up \\(\\d+ ms\\)$`, 'm'));
  assert.match(r.stdout, new RegExp(`^WARN certificate ${p('soon-chain.pem')} expires on \\S+Z, in 9 day\\(s\\)$`, 'm'));
  assert.equal(await server.stop(), 0);

  // the test PKI's expired certificate (2020): a failure even with nothing else wrong but the stopped server
  const expired = await envOnPort(t, tlsYaml(pki, [], { cert_file: p('expired.pem'), key_file: p('expired-key.pem') }));
  const e = await cli(expired.env, ['status']);
  assert.equal(e.code, 1);
  assert.match(e.stdout, new RegExp(`^FAIL certificate ${p('expired.pem')} expired on 2020-02-01T00:00:00Z$`, 'm'));
  assert.equal(e.stderr, 'Error: lapis status: 2 check(s) failed: server, certificate\n');
});

test('status with api.server.listen_socket: the server is asked over the socket', async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 'lapis.sock');
  // port 0 in listen_uri: only the socket can be reached, so an OK line proves it was used
  const env = cliEnv(t, `api:\n  server:\n    listen_uri: 127.0.0.1:0\n    listen_socket: ${socket}\n`);
  const server = await spawnServe(t, env.configPath);
  const r = await cli(env, ['status']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`^OK {3}server {6}${socket} is up \\(\\d+ ms\\)$`, 'm'));
  assert.equal(await server.stop(), 0);
  const down = await cli(env, ['status']);
  assert.match(down.stdout, new RegExp(`^FAIL server {6}${socket} is down: connect ENOENT ${socket}$`, 'm'));
});
