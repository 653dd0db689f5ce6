import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { addBouncer, addMachine, bouncerGet, cscliAlert, login, pushAlerts, UA } from '../helpers/actors.js';
import { ALERT_REQUIRED_KEYS, sshAlert } from '../helpers/fixture-alerts.js';

async function setup(t: Parameters<typeof buildTestApp>[0], yaml = '') {
  const ta = await buildTestApp(t, { yaml });
  await addMachine(ta);
  const token = await login(ta);
  return { ta, token };
}

const get = (ta: TestApp, token: string, url: string, headers: Record<string, string> = {}) =>
  ta.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, ...headers } });

test('POST /v1/alerts stores every field and GET /v1/alerts/:id returns them in upstream shape', async (t) => {
  const { ta, token } = await setup(t);
  const sent = sshAlert();
  assert.deepEqual(await pushAlerts(ta, token, [sent]), ['1']);
  const res = await get(ta, token, '/v1/alerts/1');
  assert.equal(res.statusCode, 200);
  const a = res.json() as Record<string, unknown>;
  // upstream's keys, alphabetical: the required ones and those the server adds
  assert.deepEqual(
    Object.keys(a),
    [...ALERT_REQUIRED_KEYS, 'created_at', 'decisions', 'id', 'labels', 'machine_id', 'meta', 'remediation', 'uuid'].sort(),
  );
  assert.equal(a.capacity, 5);
  assert.equal(a.machine_id, 'web-01');
  assert.equal(a.labels, null);
  assert.equal(a.leakspeed, '10s');
  assert.equal(a.remediation, true);
  assert.equal(a.events_count, 6);
  assert.deepEqual(a.meta, [{ key: 'target_user', value: '["root","admin"]' }]);
  assert.deepEqual(a.source, sent.source);
  assert.deepEqual(a.events, [
    {
      meta: [
        { key: 'target_user', value: 'root' },
        { key: 'service', value: 'ssh' },
      ],
      timestamp: '2026-11-23 08:15:30 +0000 UTC',
    },
    {
      meta: [
        { key: 'target_user', value: 'admin' },
        { key: 'service', value: 'ssh' },
      ],
      timestamp: '2026-11-23 08:15:31 +0000 UTC',
    },
  ]);
  assert.match(String(a.created_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(a.stop_at, new Date(sent.stop_at as string).toISOString().replace(/\.\d+Z$/, 'Z'));
  assert.match(String(a.uuid), /^[0-9a-f-]{36}$/);
  const [d] = a.decisions as Record<string, unknown>[];
  assert.deepEqual(Object.keys(d!), ['duration', 'id', 'origin', 'scenario', 'scope', 'simulated', 'type', 'value']);
  assert.deepEqual(
    { ...d, duration: undefined },
    {
      duration: undefined,
      id: 1,
      origin: 'crowdsec',
      scenario: 'crowdsecurity/ssh-bf',
      scope: 'Ip',
      simulated: false,
      type: 'ban',
      value: '91.121.79.195',
    },
  );
  assert.match(String(d!.duration), /^(3h59m5\d|4h0m0)s$/);
  const head = await ta.app.inject({ method: 'HEAD', url: '/v1/alerts/1', headers: { authorization: `Bearer ${token}` } });
  assert.equal(head.statusCode, 200);
  assert.equal(head.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(head.body, '');
});

test('until = stop_at + duration, and scopes are normalised', async (t) => {
  const { ta, token } = await setup(t);
  const stop = new Date(Date.now() - 3600_000).toISOString();
  await pushAlerts(ta, token, [
    { ...cscliAlert('1.2.3.4', { duration: '2h', scope: 'ip', stopAt: stop }), source: { scope: 'ip', value: '1.2.3.4' } },
  ]);
  const a = (await get(ta, token, '/v1/alerts/1')).json() as {
    source: { scope: string };
    decisions: { scope: string; duration: string }[];
  };
  assert.equal(a.source.scope, 'Ip');
  assert.equal(a.decisions[0]!.scope, 'Ip');
  assert.match(a.decisions[0]!.duration, /^(59m5\d|1h0m0)s$/);
});

test('alert search filters as upstream', async (t) => {
  const { ta, token } = await setup(t);
  await pushAlerts(ta, token, [
    sshAlert(),
    { ...sshAlert(), simulated: true, remediation: false, scenario: 'crowdsecurity/http-probing', decisions: [] },
  ]);
  const count = async (q: string) => {
    const res = await get(ta, token, `/v1/alerts${q}`);
    assert.equal(res.statusCode, 200, `${q}: ${res.body}`);
    return ((res.json() as unknown[] | null) ?? []).length;
  };
  for (const q of [
    '?decision_type=ban',
    '?scope=Ip',
    '?scope=ip',
    '?scenario=crowdsecurity/ssh-bf',
    '?ip=91.121.79.195',
    '?range=91.121.79.0/24&contains=false',
    '?since=1h',
    '?until=1ns',
    '?has_active_decision=true',
    '?origin=crowdsec',
    '?value=91.121.79.195',
  ]) {
    assert.ok((await count(q)) >= 1, q);
  }
  for (const q of [
    '?decision_type=ratata',
    '?scope=rarara',
    '?scenario=crowdsecurity/nope',
    '?ip=99.122.77.195',
    '?range=99.122.77.0/24&contains=false',
    '?since=1ns',
    '?until=1m',
  ]) {
    assert.equal(await count(q), 0, q);
  }
  assert.equal(await count(''), 2);
  assert.equal(await count('?simulated=false'), 1);
  assert.equal(await count('?simulated=true'), 2);
  assert.equal(await count('?has_active_decision=false'), 1);
  assert.equal(await count('?limit=1'), 1);
  assert.equal(await count('?include_capi=false'), 2);
  const none = await get(ta, token, '/v1/alerts?scope=nothing');
  assert.equal(none.body, 'null');
});

test('bad alert bodies and filters: 400 naming the field, nothing stored', async (t) => {
  const { ta, token } = await setup(t);
  const post = (payload: unknown) =>
    ta.app.inject({
      method: 'POST',
      url: '/v1/alerts',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'user-agent': UA },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
  const missing = await post([{ message: 'x' }]);
  assert.equal(missing.statusCode, 400);
  assert.equal(
    (missing.json() as { message: string }).message.split('\n').slice(0, 4).join('\n'),
    'validation failure list:\n0.scenario in body is required\n0.scenario_hash in body is required\n0.scenario_version in body is required',
  );
  const cases: [unknown, string][] = [
    ['test', 'invalid JSON body: '],
    [{}, 'the body must be a JSON array of alerts'],
    [[cscliAlert('1.2.3.4', { duration: 'xx' })], '0.decisions.0.duration: time: invalid duration "xx"'],
    [[cscliAlert('1.2.3.4', { duration: '-1h' })], "0.decisions.0.duration: must be positive, got '-1h'"],
    [[cscliAlert('1.2.3.4', { duration: '0s' })], "0.decisions.0.duration: must be positive, got '0s'"],
    [[cscliAlert('1.2.3.4'), cscliAlert('1.2.3.999')], "1.decisions.0.value: invalid ip address '1.2.3.999'"],
    [[cscliAlert('10.0.0.0/33')], "0.decisions.0.value: invalid ip range '10.0.0.0/33': invalid CIDR address: 10.0.0.0/33"],
    [[null], 'validation failure list:\n0 in body is required'],
  ];
  for (const [payload, message] of cases) {
    const res = await post(payload);
    assert.equal(res.statusCode, 400, `${JSON.stringify(payload).slice(0, 80)} → ${res.body}`);
    const body = (res.json() as { message: string }).message;
    if (message.endsWith(': ')) assert.ok(body.startsWith(message), body);
    else assert.equal(body, message);
  }
  assert.equal((await get(ta, token, '/v1/alerts')).body, 'null');
  for (const [q, message] of [
    ['?test=test', "filter parameter 'test' is unknown (=test)"],
    ['?ip=gruueq', "ip: invalid ip address 'gruueq'"],
    ['?range=ratata', "range: invalid ip address 'ratata'"],
    ['?since=1zuzu', 'since: while parsing duration: time: unknown unit "zuzu" in duration "1zuzu"'],
    ['?has_active_decision=ratatqata', "has_active_decision: invalid boolean 'ratatqata'"],
    ['?limit=x', "limit: invalid integer 'x'"],
  ]) {
    const res = await get(ta, token, `/v1/alerts${q}`);
    assert.equal(res.statusCode, 400, q);
    assert.equal((res.json() as { message: string }).message, message);
  }
  assert.equal((await get(ta, token, '/v1/alerts/abc')).body, '{"message":"alert_id must be valid integer"}');
  const nf = await get(ta, token, '/v1/alerts/42');
  assert.equal(nf.statusCode, 404);
  assert.equal(nf.body, '{"message":"object not found"}');
});

test("alert deletion: trusted IPs only; the alert's active decisions reach bouncers as deleted", async (t) => {
  const { ta, token } = await setup(
    t,
    'api:\n  server:\n    use_forwarded_for_headers: true\n    trusted_ips: ["1.2.3.4", "1.2.4.0/24"]\n',
  );
  const key = await addBouncer(ta);
  await pushAlerts(ta, token, [sshAlert(), cscliAlert('192.0.2.1')]);
  const startup = JSON.parse((await bouncerGet(ta, key, '/v1/decisions/stream?startup=true')).body) as { new: unknown[] };
  assert.equal(startup.new.length, 2);
  const del = (url: string, ip?: string) =>
    ta.app.inject({ method: 'DELETE', url, headers: { authorization: `Bearer ${token}`, ...(ip ? { 'x-forwarded-for': ip } : {}) } });
  for (const ip of ['4.3.2.1', '127.0.0.2']) {
    const res = await del('/v1/alerts/1', ip);
    assert.equal(res.statusCode, 403);
    assert.equal(res.body, `{"message":"access forbidden from this IP (${ip})"}`);
    assert.equal((await del('/v1/alerts', ip)).statusCode, 403);
  }
  assert.equal((await del('/v1/alerts/1', '1.2.4.255')).body, '{"nbDeleted":"1"}');
  const nf = await del('/v1/alerts/1');
  assert.equal(nf.statusCode, 404);
  assert.equal(nf.body, '{"message":"alert not found"}');
  const delta = JSON.parse((await bouncerGet(ta, key, '/v1/decisions/stream')).body) as { new: null; deleted: { value: string }[] };
  assert.deepEqual(
    delta.deleted.map((d) => d.value),
    ['91.121.79.195'],
  );
  assert.equal((await del('/v1/alerts?value=192.0.2.1')).body, '{"nbDeleted":"1"}');
  assert.equal((await del('/v1/alerts')).body, '{"nbDeleted":"0"}');
  assert.equal((await get(ta, token, '/v1/alerts')).body, 'null');
});
