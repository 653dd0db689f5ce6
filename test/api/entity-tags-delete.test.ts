import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runRetention } from '../../src/engine/retention-job.js';
import { changeTags, tagsFor } from '../../src/store/entity-tags.js';
import { getBouncer, setLastPull } from '../../src/store/bouncers.js';
import { adminClient, makeList } from '../helpers/admin.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { addAdminKey, addBouncer, addMachine, bouncerGet, cscliAlert, login, pushAlerts } from '../helpers/actors.js';

// A machine or bouncer re-created under a deleted one's name must not inherit its tags, nor with them its
// tag-subscribed allowlists (issue 12, defect 2).

const check = async (ta: TestApp, token: string, ip: string) =>
  (await ta.app.inject({ method: 'GET', url: `/v1/allowlists/check/${ip}`, headers: { authorization: `Bearer ${token}` } })).body;

/** web-01, tagged `edge`, covered by the `edge` list through its tag. */
async function taggedMachine(ta: TestApp) {
  await addMachine(ta, 'web-01');
  await changeTags(ta.db, 'machine', 'web-01', ['edge'], []);
  await makeList(adminClient(ta, await addAdminKey(ta)), 'edge', [{ type: 'tag', ids: ['edge'] }], ['192.0.2.0/24']);
  await ta.allowlists.refresh();
  const token = await login(ta, 'web-01');
  assert.equal(await check(ta, token, '192.0.2.1'), '{"allowlisted":true,"reason":"192.0.2.0/24 from edge"}');
  return token;
}

/** Re-creates web-01 and returns what the newcomer sees: its tags and the check of a covered IP. */
async function newcomer(ta: TestApp) {
  await addMachine(ta, 'web-01', 'another-long-password');
  await ta.allowlists.refresh();
  const token = await login(ta, 'web-01', 'another-long-password');
  return { tags: await tagsFor(ta.db, 'machine', 'web-01'), check: await check(ta, token, '192.0.2.1') };
}

test('DELETE /v1/watchers/self takes the machine’s tags with it: a machine re-created under its name gets neither tags nor tag lists', async (t) => {
  const ta = await buildTestApp(t);
  const token = await taggedMachine(ta);
  const r = await ta.app.inject({ method: 'DELETE', url: '/v1/watchers/self', headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.statusCode, 204);
  assert.deepEqual(await newcomer(ta), { tags: [], check: '{}' });
});

test('agents_autodelete takes the machine’s tags with it: a machine re-created under its name gets neither tags nor tag lists', async (t) => {
  const ta = await buildTestApp(t, { yaml: 'db_config:\n  flush:\n    agents_autodelete:\n      login_password: 1h\n' });
  await taggedMachine(ta);
  // silent for two hours, from a remote address (local machines are never auto-deleted)
  await ta.db
    .updateTable('machines')
    .set({ last_heartbeat: Date.now() - 2 * 3600_000, ip_address: '198.51.100.20' })
    .where('machine_id', '=', 'web-01')
    .execute();
  assert.equal((await runRetention(ta.db, ta.config, 24 * 3600_000)).machines, 1);
  assert.deepEqual(await newcomer(ta), { tags: [], check: '{}' });
});

test('bouncers_autodelete takes the bouncer’s tags with it: a bouncer re-created under its name sees what the tag list hid from its predecessor', async (t) => {
  const ta = await buildTestApp(t, { yaml: 'db_config:\n  flush:\n    bouncers_autodelete:\n      api_key: 1h\n' });
  await addMachine(ta, 'web-01');
  await pushAlerts(ta, await login(ta, 'web-01'), [cscliAlert('192.0.2.8')]);
  const key = await addBouncer(ta, 'fw01', 'key-of-fw01-0123456789');
  await changeTags(ta.db, 'bouncer', 'fw01', ['edge'], []);
  await makeList(adminClient(ta, await addAdminKey(ta)), 'edge', [{ type: 'tag', ids: ['edge'] }], ['192.0.2.0/24']);
  await ta.allowlists.refresh();
  assert.equal((await bouncerGet(ta, key, '/v1/decisions?ip=192.0.2.8')).body, 'null');

  await setLastPull(ta.db, (await getBouncer(ta.db, 'fw01'))!.id, Date.now() - 2 * 3600_000);
  assert.equal((await runRetention(ta.db, ta.config, 24 * 3600_000)).bouncers, 1);
  await addBouncer(ta, 'fw01', 'key-of-fw01-0123456789');
  await ta.allowlists.refresh();
  assert.deepEqual(await tagsFor(ta.db, 'bouncer', 'fw01'), []);
  assert.match((await bouncerGet(ta, key, '/v1/decisions?ip=192.0.2.8')).body, /"value":"192.0.2.8"/);
});
