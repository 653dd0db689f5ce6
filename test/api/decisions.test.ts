import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { addBouncer, addMachine, bouncerGet, cscliAlert, login, pushAlerts, stripDurations } from '../helpers/actors.js';
import { waitUntil } from '../helpers/wait.js';

async function setup(t: Parameters<typeof buildTestApp>[0]): Promise<{ ta: TestApp; token: string; key: string }> {
  const ta = await buildTestApp(t);
  await addMachine(ta);
  const token = await login(ta);
  const key = await addBouncer(ta);
  return { ta, token, key };
}

const del = (ta: TestApp, token: string, url: string) =>
  ta.app.inject({ method: 'DELETE', url, headers: { authorization: `Bearer ${token}` } });

test('seed 002 walkthrough: query by ip and scope+value, stream startup then null deltas, delete', async (t) => {
  const { ta, token, key } = await setup(t);
  assert.deepEqual(await pushAlerts(ta, token, [cscliAlert('192.0.2.8')]), ['1']);
  const byIp = await bouncerGet(ta, key, '/v1/decisions?ip=192.0.2.8');
  assert.equal(byIp.statusCode, 200);
  assert.equal(byIp.headers['content-type'], 'application/json; charset=utf-8');
  assert.match(
    byIp.body,
    /^\[\{"duration":"(3h59m5\d|4h0m0)s","id":1,"origin":"cscli","scenario":"manual 'ban' from 'web-01'","scope":"Ip","type":"ban","value":"192.0.2.8"\}\]$/,
  );
  const byScope = await bouncerGet(ta, key, '/v1/decisions?scope=ip&value=192.0.2.8');
  assert.equal(stripDurations(byScope.body), stripDurations(byIp.body));
  const none = await bouncerGet(ta, key, '/v1/decisions?ip=198.51.100.1');
  assert.equal(none.body, 'null');

  const startup = await bouncerGet(ta, key, '/v1/decisions/stream?startup=true');
  assert.equal(startup.statusCode, 200);
  const uuid = (JSON.parse(startup.body) as { new: { uuid: string }[] }).new[0]!.uuid;
  assert.equal(
    stripDurations(startup.body),
    `{"new": [{"duration":"D","id":1,"origin":"cscli","scenario":"manual 'ban' from 'web-01'","scope":"Ip","type":"ban","uuid":"${uuid}","value":"192.0.2.8"}], "deleted": null}`,
  );
  const quiet = await bouncerGet(ta, key, '/v1/decisions/stream?startup=false');
  assert.equal(quiet.body, '{"new": null, "deleted": null}');

  const d = await del(ta, token, '/v1/decisions?ip=192.0.2.8');
  assert.equal(d.body, '{"nbDeleted":"1"}');
  const after = await bouncerGet(ta, key, '/v1/decisions/stream');
  assert.match(after.body, /^\{"new": null, "deleted": \[\{"duration":"(-1s|0s)","id":1,.*"value":"192.0.2.8"\}\]\}$/);
  assert.equal((await bouncerGet(ta, key, '/v1/decisions/stream')).body, '{"new": null, "deleted": null}');
  assert.equal((await bouncerGet(ta, key, '/v1/decisions?ip=192.0.2.8')).body, 'null');
});

test('query mode: ranges contain IPs, contains=false, IPv6, no dedup, filters', async (t) => {
  const { ta, token, key } = await setup(t);
  await pushAlerts(ta, token, [
    cscliAlert('4.4.4.0/24'),
    cscliAlert('4.4.4.3', { duration: '1h' }),
    cscliAlert('4.4.4.3', { duration: '2h', type: 'captcha' }),
    cscliAlert('2001:db8::/64', { origin: 'crowdsec', scenario: 'crowdsecurity/ssh-bf' }),
    cscliAlert('bob', { scope: 'username' }),
  ]);
  const ids = async (url: string) => {
    const res = await bouncerGet(ta, key, url);
    assert.equal(res.statusCode, 200, res.body);
    return ((JSON.parse(res.body) as { id: number }[] | null) ?? []).map((d) => d.id);
  };
  assert.deepEqual(await ids('/v1/decisions?ip=4.4.4.3'), [1, 2, 3]);
  assert.deepEqual(await ids('/v1/decisions?ip=4.4.4.4&contains=false'), []);
  assert.deepEqual(await ids('/v1/decisions?range=4.4.0.0/16'), []);
  assert.deepEqual(await ids('/v1/decisions?range=4.4.0.0/16&contains=false'), [1, 2, 3]);
  assert.deepEqual(await ids('/v1/decisions?range=4.4.4.2/28'), [1]);
  assert.deepEqual(await ids('/v1/decisions?ip=4.4.4.3&type=captcha'), [3]);
  assert.deepEqual(await ids('/v1/decisions?ip=2001:db8::1'), [4]);
  assert.deepEqual(await ids('/v1/decisions?ip=::ffff:4.4.4.9'), [1]);
  assert.deepEqual(await ids('/v1/decisions?origins=crowdsec'), [4]);
  assert.deepEqual(await ids('/v1/decisions?scenarios_containing=SSH'), [4]);
  assert.deepEqual(await ids('/v1/decisions?scenarios_not_containing=ssh,manual'), []);
  assert.deepEqual(await ids('/v1/decisions?scope=username&value=bob'), [5]);
  assert.deepEqual(await ids('/v1/decisions?scopes=Range'), [1, 4]);
  assert.deepEqual(await ids('/v1/decisions'), [1, 2, 3, 4, 5]);
  assert.deepEqual(await ids('/v1/decisions?unknown=1'), [1, 2, 3, 4, 5]);
});

test('bad query parameters are 400 naming the field', async (t) => {
  const { ta, key } = await setup(t);
  for (const [url, message] of [
    ['/v1/decisions?ip=abc', "ip: invalid ip address 'abc'"],
    ['/v1/decisions?range=1.2.3.4/40', "range: invalid ip range '1.2.3.4/40': invalid CIDR address: 1.2.3.4/40"],
    ['/v1/decisions?ip=1.2.3.4&contains=maybe', "contains: invalid boolean 'maybe'"],
    ['/v1/decisions/stream?ip=abc', "ip: invalid ip address 'abc'"],
  ] as const) {
    const res = await bouncerGet(ta, key, url);
    assert.equal(res.statusCode, 400, url);
    assert.equal(res.body, JSON.stringify({ message }));
  }
});

test('stream dedup: 1h, 2h, 3h for one IP; deleting the longest shows the next, the IP leaves only with the last', async (t) => {
  const { ta, token, key } = await setup(t);
  await pushAlerts(ta, token, [
    cscliAlert('91.121.79.195', { duration: '1h' }),
    cscliAlert('91.121.79.195', { duration: '2h' }),
    cscliAlert('91.121.79.195', { duration: '3h' }),
  ]);
  const pull = async (startup: boolean) => {
    const r = JSON.parse((await bouncerGet(ta, key, `/v1/decisions/stream${startup ? '?startup=true' : ''}`)).body) as {
      new: { id: number }[] | null;
      deleted: { id: number }[] | null;
    };
    return { new: (r.new ?? []).map((d) => d.id), deleted: (r.deleted ?? []).map((d) => d.id) };
  };
  assert.deepEqual(await pull(true), { new: [3], deleted: [] });
  assert.equal((await del(ta, token, '/v1/decisions/3')).body, '{"nbDeleted":"1"}');
  // Lapis tells the bouncer the remaining, shorter ban (upstream sends nothing and the bouncer keeps the 3h one)
  assert.deepEqual(await pull(false), { new: [2], deleted: [] });
  await del(ta, token, '/v1/decisions/2');
  assert.deepEqual(await pull(false), { new: [1], deleted: [] });
  await del(ta, token, '/v1/decisions/1');
  // the bouncer holds the IP through #1 only: that is the one to delete
  assert.deepEqual(await pull(false), { new: [], deleted: [1] });
  assert.deepEqual(await pull(false), { new: [], deleted: [] });
  // a bouncer starting up holds nothing to delete
  assert.deepEqual(await pull(true), { new: [], deleted: [] });
});

test('stream filters never hide what they select behind a decision they exclude (#3373)', async (t) => {
  const { ta, token, key } = await setup(t);
  await pushAlerts(ta, token, [
    cscliAlert('203.0.113.50', { duration: '1h', origin: 'cscli' }),
    cscliAlert('203.0.113.50', { duration: '4h', origin: 'crowdsec' }),
  ]);
  const r = JSON.parse((await bouncerGet(ta, key, '/v1/decisions/stream?startup=true&origins=cscli')).body) as { new: { id: number }[] };
  assert.deepEqual(
    r.new.map((d) => d.id),
    [1],
  );
});

test('stream scopes default to ip,range; simulated decisions hidden unless asked', async (t) => {
  const { ta, token, key } = await setup(t);
  await pushAlerts(ta, token, [
    cscliAlert('bob', { scope: 'username' }),
    cscliAlert('192.0.2.1'),
    cscliAlert('192.0.2.2', { simulated: true }),
  ]);
  const idsOf = async (url: string) => ((JSON.parse((await bouncerGet(ta, key, url)).body).new ?? []) as { id: number }[]).map((d) => d.id);
  assert.deepEqual(await idsOf('/v1/decisions/stream?startup=true'), [2]);
  assert.deepEqual(await idsOf('/v1/decisions/stream?startup=true&scopes=username,ip'), [1, 2]);
  assert.deepEqual(await idsOf('/v1/decisions/stream?startup=true&simulated=true'), [2, 3]);
});

test('a decision that expires on its own reaches the stream in deleted, once', async (t) => {
  const { ta, token, key } = await setup(t);
  await pushAlerts(ta, token, [cscliAlert('192.0.2.9', { duration: '1s', stopAt: new Date().toISOString() })]);
  const first = JSON.parse((await bouncerGet(ta, key, '/v1/decisions/stream?startup=true')).body) as { new: unknown[] | null };
  assert.equal(first.new?.length, 1);
  // query mode drops it once its `until` has passed; the stream then sees it ended
  await waitUntil(async () => (await bouncerGet(ta, key, '/v1/decisions?ip=192.0.2.9')).body === 'null', 3000, 'the decision to expire');
  const next = JSON.parse((await bouncerGet(ta, key, '/v1/decisions/stream')).body) as { new: unknown; deleted: { id: number }[] | null };
  assert.equal(next.new, null);
  assert.deepEqual(
    next.deleted?.map((d) => d.id),
    [1],
  );
  assert.equal((await bouncerGet(ta, key, '/v1/decisions/stream')).body, '{"new": null, "deleted": null}');
});

test('DELETE /v1/decisions: counts as strings, contains semantics, unknown filter 400, unknown id 404', async (t) => {
  const { ta, token } = await setup(t);
  await pushAlerts(ta, token, [
    cscliAlert('91.121.79.179', { scenario: 'crowdsecurity/ssh-bf' }),
    cscliAlert('91.121.79.178', { scenario: 'crowdsecurity/ssh-bf' }),
  ]);
  const body = async (url: string) => (await del(ta, token, url)).body;
  assert.equal(await body('/v1/decisions?range=1.2.3.0/24'), '{"nbDeleted":"0"}');
  assert.equal(await body('/v1/decisions?ip=1.2.3.4'), '{"nbDeleted":"0"}');
  assert.equal(await body('/v1/decisions?scenario=crowdsecurity/ssh-bff'), '{"nbDeleted":"0"}');
  assert.equal(await body('/v1/decisions?scopes=Ip&value=91.121.79.178'), '{"nbDeleted":"1"}');
  assert.equal(await body('/v1/decisions?range=91.121.79.0/24&contains=false'), '{"nbDeleted":"1"}');
  assert.equal(await body('/v1/decisions?range=91.121.79.0/24&contains=false'), '{"nbDeleted":"0"}');
  const bad = await del(ta, token, '/v1/decisions?test=test');
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.body, `{"message":"'test' doesn't exist: invalid filter"}`);
  const notInt = await del(ta, token, '/v1/decisions/test');
  assert.equal(notInt.statusCode, 400);
  assert.equal(notInt.body, '{"message":"decision_id must be valid integer"}');
  const missing = await del(ta, token, '/v1/decisions/100');
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.body, `{"message":"decision with id '100' doesn't exist"}`);
  assert.equal(await body('/v1/decisions/1'), '{"nbDeleted":"1"}');
});

test('bouncer auth: 403 for missing or bad keys; a key reused from another IP creates name@ip once', async (t) => {
  const ta = await buildTestApp(t, { yaml: 'api:\n  server:\n    use_forwarded_for_headers: true\n' });
  const key = await addBouncer(ta, 'test');
  for (const headers of [{}, { 'x-api-key': 'wrong' }]) {
    const res = await ta.app.inject({ method: 'GET', url: '/v1/decisions', headers });
    assert.equal(res.statusCode, 403);
    assert.equal(res.body, '{"message":"access forbidden"}');
  }
  assert.equal((await bouncerGet(ta, key, '/v1/decisions')).body, 'null');
  assert.equal((await bouncerGet(ta, key, '/v1/decisions', { 'x-forwarded-for': '4.3.2.1' })).statusCode, 200);
  assert.equal((await bouncerGet(ta, key, '/v1/decisions', { 'x-forwarded-for': '4.3.2.1' })).statusCode, 200);
  assert.equal((await bouncerGet(ta, key, '/v1/decisions')).statusCode, 200);
  const { listBouncers } = await import('../../src/store/bouncers.js');
  const all = await listBouncers(ta.db);
  assert.deepEqual(
    all.map((b) => [b.name, b.ipAddress, b.autoCreated, b.authType, b.type, b.version]),
    [
      ['test', '127.0.0.1', false, 'api-key', 'crowdsec-firewall-bouncer', 'v0.0.31'],
      ['test@4.3.2.1', '4.3.2.1', true, 'api-key', 'crowdsec-firewall-bouncer', 'v0.0.31'],
    ],
  );
  assert.equal(all[0]!.keyHash, all[1]!.keyHash);
  assert.notEqual(all[0]!.lastPull, null);
});
