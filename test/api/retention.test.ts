import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runRetention } from '../../src/engine/retention-job.js';
import { listBouncers, setLastPull } from '../../src/store/bouncers.js';
import { buildTestApp } from '../helpers/app.js';
import { addBouncer, addMachine, bouncerGet, cscliAlert, login, pushAlerts } from '../helpers/actors.js';

test('flush by age and by count never deletes an alert that still carries an active decision (#3978)', async (t) => {
  const ta = await buildTestApp(t, { yaml: 'db_config:\n  flush:\n    max_age: 1h\n    max_items: 2\n' });
  await addMachine(ta);
  const token = await login(ta);
  const past = new Date(Date.now() - 7200_000).toISOString();
  // 1: active ban; 2 and 3: decisions already expired; 4, 5: recent and active
  await pushAlerts(ta, token, [cscliAlert('10.0.0.1', { duration: '24h' })]);
  await pushAlerts(ta, token, [cscliAlert('10.0.0.2', { duration: '1m', stopAt: past })]);
  await pushAlerts(ta, token, [cscliAlert('10.0.0.3', { duration: '1m', stopAt: past })]);
  await pushAlerts(ta, token, [cscliAlert('10.0.0.4'), cscliAlert('10.0.0.5')]);
  // two hours later every alert is older than max_age: only 2 and 3 have no active decision left
  const report = await runRetention(ta.db, ta.config, 24 * 3600_000, Date.now() + 2 * 3600_000);
  assert.equal(report.alerts, 2);
  const ids = async () => (await ta.db.selectFrom('alerts').select('id').orderBy('id').execute()).map((r) => Number(r.id));
  assert.deepEqual(await ids(), [1, 4, 5]);
  // by count: beyond the 2 newest, alerts without an active decision go (6), active ones stay (1, 4, 5)
  await pushAlerts(ta, token, [cscliAlert('10.0.0.6', { duration: '1m', stopAt: past })]);
  await pushAlerts(ta, token, [cscliAlert('10.0.0.7', { duration: '1m', stopAt: past })]);
  await pushAlerts(ta, token, [cscliAlert('10.0.0.8')]);
  assert.equal((await runRetention(ta.db, ta.config, 24 * 3600_000)).alerts, 1);
  assert.deepEqual(await ids(), [1, 4, 5, 7, 8]);
  // the expired decisions of flushed alerts are detached, then purged after the grace period
  const purge = await runRetention(ta.db, ta.config, 0, Date.now() + 1000);
  assert.ok(purge.decisions >= 2);
});

test('bouncers_autodelete.api_key removes bouncers silent for too long, never those that never pulled', async (t) => {
  const ta = await buildTestApp(t, { yaml: 'db_config:\n  flush:\n    bouncers_autodelete:\n      api_key: 1h\n' });
  const key = await addBouncer(ta, 'old');
  await addBouncer(ta, 'never', 'another-key-0123456789');
  await bouncerGet(ta, key, '/v1/decisions');
  const [old] = await listBouncers(ta.db);
  await setLastPull(ta.db, old!.id, Date.now() - 2 * 3600_000);
  const r = await runRetention(ta.db, ta.config, 24 * 3600_000);
  assert.equal(r.bouncers, 1);
  assert.deepEqual(
    (await listBouncers(ta.db)).map((b) => b.name),
    ['never'],
  );
});

test('the retention lease goes to one holder at a time, and to another once it expires or is released', async (t) => {
  const { tryLease, releaseLease } = await import('../../src/store/leases.js');
  const ta = await buildTestApp(t);
  const now = Date.now();
  assert.equal(await tryLease(ta.db, 'retention', 'node-a', 1000, now), true);
  assert.equal(await tryLease(ta.db, 'retention', 'node-b', 1000, now + 10), false);
  assert.equal(await tryLease(ta.db, 'retention', 'node-a', 1000, now + 20), true);
  assert.equal(await tryLease(ta.db, 'retention', 'node-b', 1000, now + 2000), true);
  assert.equal(await tryLease(ta.db, 'retention', 'node-a', 1000, now + 2010), false);
  await releaseLease(ta.db, 'retention', 'node-b');
  assert.equal(await tryLease(ta.db, 'retention', 'node-a', 1000, now + 2020), true);
});

test('flush running during bulk inserts: no deadlock, no error, nothing active lost (#3233)', async (t) => {
  const ta = await buildTestApp(t, { yaml: 'db_config:\n  flush:\n    max_items: 50\n    max_age: 1s\n' });
  await addMachine(ta);
  const token = await login(ta);
  const past = new Date(Date.now() - 3600_000).toISOString();
  const writers = Array.from({ length: 4 }, async (_, w) => {
    for (let i = 0; i < 15; i++) {
      const expired = cscliAlert(`10.${w}.${i}.1`, { duration: '1m', stopAt: past });
      const active = cscliAlert(`10.${w}.${i}.2`);
      expired.decisions = Array.from({ length: 50 }, (_, j) => ({ ...expired.decisions[0]!, value: `10.${w}.${i}.${j + 10}` }));
      await pushAlerts(ta, token, [expired, active]);
    }
  });
  let flushing = true;
  const flusher = (async () => {
    let passes = 0;
    while (flushing || passes === 0) {
      await runRetention(ta.db, ta.config, 24 * 3600_000, Date.now() + 5000);
      passes++;
      // SQLite answers synchronously: without a turn of the event loop this loop would starve the writers
      await new Promise((r) => setImmediate(r));
    }
    return passes;
  })();
  await Promise.all(writers);
  flushing = false;
  assert.ok((await flusher) >= 1);
  await runRetention(ta.db, ta.config, 24 * 3600_000, Date.now() + 5000);
  // every alert holding an active decision survived; the expired ones were flushed
  const active = await ta.db.selectFrom('decisions').select('value').where('until', '>', Date.now()).execute();
  assert.equal(active.length, 60);
  const alerts = await ta.db.selectFrom('alerts').select('id').execute();
  assert.equal(alerts.length, 60);
});

test('flush durations with fractions of a millisecond are rounded: every query compares whole milliseconds (PostgreSQL refused them)', async (t) => {
  const yaml =
    'db_config:\n  flush:\n    max_age: 1.5ms\n    metrics_max_age: 0.5ms\n    bouncers_autodelete:\n      api_key: 1.5ms\n      cert: 2.5us\n    agents_autodelete:\n      login_password: 1.000001s\n      cert: 999us\n';
  const ta = await buildTestApp(t, { yaml });
  const key = await addBouncer(ta, 'old');
  await bouncerGet(ta, key, '/v1/decisions');
  const report = await runRetention(ta.db, ta.config, 0, Date.now() + 60_000);
  assert.deepEqual(report, { alerts: 0, decisions: 0, bouncers: 1, machines: 0, metrics: 0, allowlistItems: 0, blocklistItems: 0 });
});
