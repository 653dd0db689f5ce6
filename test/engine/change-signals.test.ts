import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decisionsAdd } from '../../src/cli/decisions/add.js';
import type { Config } from '../../src/config/schema.js';
import { startChangeSignals } from '../../src/engine/change-signals.js';
import { createAllowlist } from '../../src/store/allowlists.js';
import type { CounterName } from '../../src/store/counters.js';
import { openDb, usingDb } from '../../src/store/db.js';
import { nextSequence } from '../../src/store/decisions.js';
import { tempDir, testConfig, testDbConfig } from '../helpers/app.js';
import type { After } from '../helpers/context.js';
import { testDialect } from '../helpers/dialect.js';
import { pause, waitUntil } from '../helpers/wait.js';

const dialect = testDialect();

/** A fresh database of the run's engine, and the catch-ups the signals ask for on it. */
async function signalled(t: After) {
  const config: Config = testDbConfig(tempDir(t));
  // migrated (and, on SQLite, created) before anything watches it
  await usingDb(config.db, async () => undefined);
  const heard: CounterName[] = [];
  const signals = await startChangeSignals(config.db, async (name) => {
    heard.push(name);
  });
  t.after(() => signals.close());
  return { config, heard, signals };
}

test('the kind of signal each engine gives', async (t) => {
  const { signals } = await signalled(t);
  assert.equal(signals.kind, { sqlite: 'watch', postgres: 'listen', mysql: 'none' }[dialect]);
});

test('PostgreSQL: each committed transaction names the counter it bumped; a rolled back one says nothing', {
  skip: dialect !== 'postgres' && 'PostgreSQL only',
}, async (t) => {
  const { config, heard } = await signalled(t);
  // the catch-up made once the listener is up
  await waitUntil(() => heard.length === 1, 3000, 'the first catch-up');
  heard.length = 0;

  await usingDb(config.db, (db) => decisionsAdd(db, { ip: '192.0.2.1' }));
  await waitUntil(() => heard.length === 1, 3000, 'a notice');
  assert.deepEqual(heard, ['decisions']);

  await usingDb(config.db, (db) => createAllowlist(db, 'office', ''));
  await waitUntil(() => heard.length === 2, 3000, 'a notice');
  assert.deepEqual(heard, ['decisions', 'allowlists']);

  const db = await openDb(config.db);
  try {
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await nextSequence(trx);
        throw new Error('rolled back');
      }),
      /rolled back/,
    );
    // a committed one after it, to know the rolled back one would have been heard by now
    await decisionsAdd(db, { ip: '192.0.2.2' });
  } finally {
    await db.destroy();
  }
  await waitUntil(() => heard.length === 3, 3000, 'a notice');
  assert.deepEqual(heard, ['decisions', 'allowlists', 'decisions']);
});

test('SQLite: a burst of commits by another connection is caught up on after its last commit, in few catch-ups', {
  skip: dialect !== 'sqlite' && 'SQLite only',
}, async (t) => {
  const { config, heard } = await signalled(t);
  const db = await openDb(config.db);
  t.after(() => db.destroy());
  await waitUntil(() => heard.length >= 1, 3000, 'the first catch-up');
  const before = heard.length;
  for (let i = 1; i <= 50; i++) await decisionsAdd(db, { ip: `192.0.2.${i}` });
  const written = heard.length;
  // the catch-ups asked for after the last commit (the second look included)
  await waitUntil(() => heard.length >= written + 2, 3000, 'catch-ups after the burst');
  assert.ok(heard.length - before < 50, `${heard.length - before} catch-ups for 50 commits`);
  assert.ok(
    heard.every((n) => n === 'allowlists'),
    'a watch cannot tell which counter moved: both views catch up',
  );
});

test('SQLite: closed, the watch asks for nothing more', { skip: dialect !== 'sqlite' && 'SQLite only' }, async (t) => {
  const { config, heard, signals } = await signalled(t);
  await waitUntil(() => heard.length >= 2, 3000, 'the first catch-up and its second look');
  await signals.close();
  const closedAt = heard.length;
  await usingDb(config.db, (db) => decisionsAdd(db, { ip: '192.0.2.1' }));
  await pause(100);
  assert.equal(heard.length, closedAt);
});

test('PostgreSQL that does not answer: the start does not wait for it, and close stops the retries', async (t) => {
  const config = testConfig(
    tempDir(t),
    'db_config:\n  type: postgresql\n  host: 127.0.0.1\n  port: 1\n  user: postgres\n  sslmode: disable\n',
  );
  // closed at any point of the retry loop (connecting, or waiting to retry), close returns at once
  for (let i = 0; i < 20; i++) {
    const signals = await startChangeSignals(config.db, async () => undefined, { backoffMs: 5, maxBackoffMs: 10 });
    assert.equal(signals.kind, 'listen');
    await pause(Math.random() * 30);
    await signals.close();
  }
});
