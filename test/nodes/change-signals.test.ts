import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { buildApp } from '../../src/app.js';
import { decisionsAdd } from '../../src/cli/decisions/add.js';
import type { Config } from '../../src/config/schema.js';
import { openRuntime } from '../../src/runtime.js';
import { addItems } from '../../src/store/allowlist-items.js';
import { createAllowlist } from '../../src/store/allowlists.js';
import { LISTENER_NAME } from '../../src/store/change-notices.js';
import { usingDb, type Db } from '../../src/store/db.js';
import { runMain } from '../cli/helpers.js';
import { addBouncer, addMachine, bouncerGet, cscliAlert, login, pushAlerts } from '../helpers/actors.js';
import { tempDir, testConfig, withTestDb, type TestApp } from '../helpers/app.js';
import type { After } from '../helpers/context.js';
import { testDialect } from '../helpers/dialect.js';
import { waitUntil } from '../helpers/wait.js';

/**
 * Other processes' commits reach a node at once (engine/change-signals.ts), not at its poll: every node here
 * polls once a minute, so what it serves within a few seconds it heard of. MySQL has no signal (the poll alone).
 */
const POLL_MS = 60_000;
const SOON_MS = 10_000;
const dialect = testDialect();
const noSignal = dialect === 'mysql' && 'MySQL has no change signal: the poll alone';
const pgOnly = dialect !== 'postgres' && 'PostgreSQL only';

type Node = TestApp & { close(): Promise<void> };

/** A config file in a temp dir, with the data dir inside it (the CLI processes read the same file), on a fresh database. */
function sharedConfig(t: After, yaml = ''): { config: Config; configPath: string } {
  const dir = tempDir(t);
  const config = testConfig(dir, withTestDb(`config_paths:\n  data_dir: ${join(dir, 'data')}\n${yaml}`));
  return { config, configPath: join(dir, 'config.yaml') };
}

/** A node on the config's database, in this process, polling once a minute. */
async function startNode(t: After, config: Config): Promise<Node> {
  const runtime = await openRuntime(config, undefined, { pollMs: POLL_MS });
  const app = await buildApp(runtime.deps);
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await app.close();
      await runtime.close();
    })());
  t.after(close);
  const { db, jwt, feed, allowlists } = runtime.deps;
  return { app, admin: app, db, jwt, feed, allowlists, config, dir: '', close };
}

const served = async (n: Node, key: string, ip: string) => (await bouncerGet(n, key, `/v1/decisions?ip=${ip}`)).body !== 'null';

async function lapis(argv: string[], configPath: string): Promise<void> {
  const r = await runMain([...argv, '-c', configPath]);
  assert.equal(r.code, 0, `lapis ${argv.join(' ')}: ${r.stderr}`);
}

/** Another connection's write, as the CLI makes it (no settle: the node has to hear of it). */
const addElsewhere = (config: Config, ip: string) => usingDb(config.db, (db) => decisionsAdd(db, { ip, duration: '1h' }));

/** The backends of this database's change listeners. */
async function listeners(db: Db): Promise<number[]> {
  const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity
    where application_name = ${LISTENER_NAME} and datname = current_database()`.execute(db);
  return rows.map((r) => Number(r.pid));
}

for (const wal of [true, false]) {
  const skip = wal ? noSignal : dialect !== 'sqlite' && 'SQLite only (use_wal: false)';
  test(`a decision and an allowlist added by the lapis CLI reach a running server's bouncer at once${wal ? '' : ' (SQLite, rollback journal)'}`, {
    skip,
  }, async (t) => {
    const { config, configPath } = sharedConfig(t, wal ? '' : 'db_config:\n  use_wal: false\n');
    const node = await startNode(t, config);
    const key = await addBouncer(node, 'fw');
    assert.equal(await served(node, key, '192.0.2.7'), false);

    await lapis(['decisions', 'add', '--ip', '192.0.2.7', '--duration', '1h'], configPath);
    await waitUntil(() => served(node, key, '192.0.2.7'), SOON_MS, 'the CLI decision served without the poll');

    // an allowlist (the allowlists version, and the decisions it ends under a new sequence)
    await lapis(['allowlists', 'create', 'office', '-d', 'office'], configPath);
    await lapis(['allowlists', 'add', 'office', '192.0.2.7'], configPath);
    await waitUntil(async () => !(await served(node, key, '192.0.2.7')), SOON_MS, 'the allowlisted decision hidden without the poll');
  });
}

test('two nodes on PostgreSQL: a write on A is served by B at once, decisions and allowlists', { skip: pgOnly }, async (t) => {
  const { config } = sharedConfig(t);
  const a = await startNode(t, config);
  const b = await startNode(t, config);
  await addMachine(a, 'web-01');
  const token = await login(a, 'web-01');
  const key = await addBouncer(a, 'fw');

  for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
    await pushAlerts(a, token, [cscliAlert(ip)]);
    await waitUntil(() => served(b, key, ip), SOON_MS, `B serving ${ip} without its poll`);
  }

  const version = b.allowlists.servedVersion;
  await usingDb(config.db, async (db) => {
    const list = await createAllowlist(db, 'office', '');
    await addItems(db, list.id, {
      values: ['203.0.113.0/24'],
      description: '',
      expiresAt: null,
      actor: { source_type: 'user', identifier: 't' },
    });
  });
  await waitUntil(() => b.allowlists.servedVersion > version, SOON_MS, "B's allowlists reloaded without its poll");
});

test('PostgreSQL: a lost listener is opened again, and what was written meanwhile is served', { skip: pgOnly }, async (t) => {
  const { config } = sharedConfig(t);
  const node = await startNode(t, config);
  const key = await addBouncer(node, 'fw');
  const [first] = await listeners(node.db);
  assert.ok(first !== undefined, 'a listener once the node has started');

  await sql`select pg_terminate_backend(${first})`.execute(node.db);
  // written while the listener is gone or coming back: read once it listens again
  await addElsewhere(config, '192.0.2.10');
  await waitUntil(async () => (await listeners(node.db)).some((pid) => pid !== first), SOON_MS, 'a new listener');
  await waitUntil(() => served(node, key, '192.0.2.10'), SOON_MS, 'the write made during the loss served');

  await addElsewhere(config, '192.0.2.11');
  await waitUntil(() => served(node, key, '192.0.2.11'), SOON_MS, 'a write after the loss served without the poll');

  // closing the node ends its listener
  await node.close();
  await waitUntil(async () => (await usingDb(config.db, listeners)).length === 0, SOON_MS, 'no listener after close');
});
