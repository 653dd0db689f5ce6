import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getBouncer } from '../../src/store/bouncers.js';
import { getMachine } from '../../src/store/machines.js';
import { buildTestApp } from '../helpers/app.js';
import { addBouncer, addMachine, login } from '../helpers/actors.js';

const base = {
  version: 'v1.7.8',
  os: { name: 'debian', version: '12' },
  feature_flags: ['a', 'b', 'c'],
  utc_startup_timestamp: 1784990000,
};
const metrics = [
  {
    meta: { window_size_seconds: 1800, utc_now_timestamp: 1784991800 },
    items: [{ name: 'dropped', unit: 'packet', value: 42, labels: { origin: 'CAPI' } }],
  },
];

test('usage metrics from a bouncer: 201, bouncer updated, row stored; every refusal as upstream', async (t) => {
  const ta = await buildTestApp(t);
  const key = await addBouncer(ta, 'fw');
  const post = (payload: unknown, headers: Record<string, string> = { 'x-api-key': key }) =>
    ta.app.inject({
      method: 'POST',
      url: '/v1/usage-metrics',
      headers: { 'content-type': 'application/json', 'user-agent': 'crowdsec-firewall-bouncer/v0.0.31', ...headers },
      payload: JSON.stringify(payload),
    });
  const ok = await post({ remediation_components: [{ ...base, type: 'crowdsec-firewall-bouncer', metrics }] });
  assert.equal(ok.statusCode, 201);
  assert.equal(ok.body, '');
  const b = await getBouncer(ta.db, 'fw');
  assert.deepEqual([b?.version, b?.os, b?.featureFlags], ['v1.7.8', { name: 'debian', family: '', version: '12' }, ['a', 'b', 'c']]);
  const rows = await ta.db.selectFrom('metrics').selectAll().execute();
  assert.deepEqual(
    rows.map((r) => [r.generated_type, r.generated_by, JSON.parse(r.payload)]),
    [['RC', 'fw', { type: 'crowdsec-firewall-bouncer', metrics }]],
  );

  const cases: [unknown, number, string][] = [
    [{}, 400, 'Missing remediation component data'],
    [{ remediation_components: [{ ...base }, { ...base }] }, 400, 'Payload has more than one remediation component'],
    [
      { remediation_components: [{ ...base }], log_processors: [{ ...base, hub_items: {}, datasources: {} }] },
      400,
      'Payload has both LP and RC data',
    ],
    [
      { remediation_components: [{ ...base, utc_startup_timestamp: 'x' }] },
      400,
      'remediation_components.0.utc_startup_timestamp in body must be of type integer: "string"',
    ],
    [
      { remediation_components: [{ version: 'v1' }] },
      422,
      'validation failure list:\nremediation_components.0.utc_startup_timestamp in body is required',
    ],
    [
      { remediation_components: [{ ...base, os: { version: '12' } }] },
      422,
      'validation failure list:\nremediation_components.0.os.name in body is required',
    ],
  ];
  for (const [payload, status, message] of cases) {
    const res = await post(payload);
    assert.equal(res.statusCode, status, res.body);
    assert.equal(res.body, JSON.stringify({ message }));
  }
  assert.equal((await post({ remediation_components: [base] }, { 'x-api-key': 'wrong' })).statusCode, 403);
  assert.equal((await ta.db.selectFrom('metrics').selectAll().execute()).length, 1);
});

test('usage metrics from an agent (JWT): the machine gets os, flags, hub state and datasources', async (t) => {
  const ta = await buildTestApp(t);
  await addMachine(ta);
  const token = await login(ta);
  const post = (payload: unknown, headers: Record<string, string>) =>
    ta.app.inject({
      method: 'POST',
      url: '/v1/usage-metrics',
      headers: { 'content-type': 'application/json', 'user-agent': 'crowdsec/v1.7.8', ...headers },
      payload: JSON.stringify(payload),
    });
  const lp = {
    ...base,
    hub_items: { parsers: [{ name: 'crowdsecurity/sshd-logs', status: 'enabled', version: '0.1' }] },
    datasources: { file: 2 },
  };
  const res = await post({ log_processors: [lp] }, { authorization: `Bearer ${token}` });
  assert.equal(res.statusCode, 201, res.body);
  const m = await getMachine(ta.db, 'web-01');
  assert.deepEqual([m?.version, m?.os.name, m?.featureFlags], ['v1.7.8', 'debian', ['a', 'b', 'c']]);
  assert.equal((await post({}, { authorization: `Bearer ${token}` })).body, '{"message":"Missing log processor data"}');
  const noDatasources = await post({ log_processors: [{ ...base, hub_items: {} }] }, { authorization: `Bearer ${token}` });
  assert.equal(noDatasources.statusCode, 422);
  assert.equal(
    noDatasources.body,
    JSON.stringify({ message: 'validation failure list:\nlog_processors.0.datasources in body is required' }),
  );
  // a crowdsec User-Agent without a token is a machine without credentials
  const anon = await post({ log_processors: [lp] }, {});
  assert.equal(anon.statusCode, 401);
  assert.equal(anon.body, '{"code":401,"message":"cookie token is empty"}');
});
