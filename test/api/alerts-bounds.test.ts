import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { addMachine, cscliAlert, login } from '../helpers/actors.js';
import { sshAlert } from '../helpers/fixture-alerts.js';

/**
 * Numbers a column cannot hold, and query values an engine cannot compare, are a 400 naming the field
 * on every engine (they used to be 500s on PostgreSQL: int4 overflow, float4 overflow, a fractional
 * millisecond against a bigint, a LIMIT past int64).
 */
async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const ta = await buildTestApp(t);
  await addMachine(ta);
  const token = await login(ta);
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    ta.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
  return { ta, call };
}

/** How many rows `table` holds. */
const rowCount = async (ta: TestApp, table: 'alerts' | 'decisions') =>
  Number(
    (
      await ta.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
const rows = async (ta: TestApp) => [await rowCount(ta, 'alerts'), await rowCount(ta, 'decisions')];

test('POST /v1/alerts: integers past int32 and coordinates past the globe are a 400 naming the field; nothing stored', async (t) => {
  const { ta, call } = await setup(t);
  const a = sshAlert();
  const source = a.source as Record<string, unknown>;
  const max = (field: string, n: number) => `validation failure list:\n0.${field} in body should be less than or equal to ${n}`;
  const min = (field: string, n: number) => `validation failure list:\n0.${field} in body should be greater than or equal to ${n}`;
  const cases: [string, unknown, string][] = [
    ['events_count 2^31', { ...a, events_count: 2147483648 }, max('events_count', 2147483647)],
    ['events_count -2^31-1', { ...a, events_count: -2147483649 }, min('events_count', -2147483648)],
    ['capacity 1e300', { ...a, capacity: 1e300 }, max('capacity', 2147483647)],
    ['capacity 2^63', { ...a, capacity: 2 ** 63 }, max('capacity', 2147483647)],
    ['latitude 1e300', { ...a, source: { ...source, latitude: 1e300 } }, max('source.latitude', 90)],
    ['longitude -181', { ...a, source: { ...source, longitude: -181 } }, min('source.longitude', -180)],
  ];
  for (const [what, alert, message] of cases) {
    const r = await call('POST', '/v1/alerts', [alert]);
    assert.equal(r.statusCode, 400, `${what}: ${r.body}`);
    assert.equal(r.body, JSON.stringify({ message }), what);
  }
  assert.deepEqual(await rows(ta), [0, 0]);

  // the bounds themselves are stored as sent; a coordinate too small for float4 is 0 (omitted on the wire, as omitempty)
  const edge = { ...a, events_count: 2147483647, capacity: -2147483648, source: { ...source, latitude: -90, longitude: 1e-300 } };
  const ok = await call('POST', '/v1/alerts', [edge]);
  assert.equal(ok.statusCode, 201, ok.body);
  const back = (await call('GET', `/v1/alerts/${(ok.json() as string[])[0]}`)).json() as Record<string, unknown>;
  assert.deepEqual(
    [
      back.events_count,
      back.capacity,
      (back.source as Record<string, unknown>).latitude,
      (back.source as Record<string, unknown>).longitude,
    ],
    [2147483647, -2147483648, -90, undefined],
  );
});

test('POST /v1/alerts: strings past the 255 of their column are a 400 naming the field on every engine; nothing stored', async (t) => {
  const { ta, call } = await setup(t);
  const a = sshAlert();
  const source = a.source as Record<string, unknown>;
  const decision = (a.decisions as Record<string, unknown>[])[0]!;
  const long = 'x'.repeat(256);
  const max = (field: string) => `validation failure list:\n0.${field} in body should be at most 255 chars long`;
  const cases: [string, unknown, string][] = [
    ['scenario', { ...a, scenario: long }, max('scenario')],
    ['leakspeed', { ...a, leakspeed: long }, max('leakspeed')],
    ['kind', { ...a, kind: long }, max('kind')],
    ['source.value', { ...a, source: { ...source, scope: 'Username', value: long } }, max('source.value')],
    ['source.as_name', { ...a, source: { ...source, as_name: long } }, max('source.as_name')],
    ['decision type', { ...a, decisions: [{ ...decision, type: long }] }, max('decisions.0.type')],
    ['decision value', { ...a, decisions: [{ ...decision, scope: 'Username', value: long }] }, max('decisions.0.value')],
    ['decision scenario', { ...a, decisions: [{ ...decision, scenario: long }] }, max('decisions.0.scenario')],
  ];
  for (const [what, alert, message] of cases) {
    const r = await call('POST', '/v1/alerts', [alert]);
    assert.equal(r.statusCode, 400, `${what}: ${r.body}`);
    assert.equal(r.body, JSON.stringify({ message }), what);
  }
  assert.deepEqual(await rows(ta), [0, 0]);
  // 255 characters fit every engine, multi-byte ones included
  const fits = '€'.repeat(255);
  const ok = await call('POST', '/v1/alerts', [{ ...a, scenario: fits, decisions: [{ ...decision, scope: 'Username', value: fits }] }]);
  assert.equal(ok.statusCode, 201, ok.body);
  const back = (await call('GET', `/v1/alerts/${(ok.json() as string[])[0]}`)).json() as {
    scenario: string;
    decisions: { value: string }[];
  };
  assert.deepEqual([back.scenario, back.decisions[0]!.value], [fits, fits]);
});

test('alert filters: fractional-millisecond durations are rounded, limits past int32 are a 400', async (t) => {
  const { ta, call } = await setup(t);
  const pushed = await call('POST', '/v1/alerts', [cscliAlert('192.0.2.1')]);
  assert.equal(pushed.statusCode, 201, pushed.body);
  for (const q of [
    'since=1.5ms',
    'until=1.5ms',
    'created_before=0.5ms',
    'since=-1.5ms',
    'until=-1.000001s',
    'since=1d0.5ms',
    'limit=2147483647',
  ]) {
    const r = await call('GET', `/v1/alerts?${q}`);
    assert.equal(r.statusCode, 200, `${q}: ${r.body}`);
  }
  // a negative duration is the future: nothing started after it, everything before
  assert.equal((await call('GET', '/v1/alerts?since=-1.5ms')).body, 'null');
  assert.equal((await call('GET', '/v1/alerts?until=-1.5ms')).json().length, 1);
  const cases: [string, string][] = [
    ['limit=99999999999999999999', "limit: must be an integer between 0 and 2147483647, got '99999999999999999999'"],
    ['limit=2147483648', "limit: must be an integer between 0 and 2147483647, got '2147483648'"],
    ['limit=-1', "limit: invalid integer '-1'"],
    ['limit=1.5', "limit: invalid integer '1.5'"],
    ['since=1.5', 'since: while parsing duration: time: missing unit in duration "1.5"'],
  ];
  for (const [q, message] of cases) {
    for (const method of ['GET', 'DELETE'] as const) {
      const r = await call(method, `/v1/alerts?${q}`);
      assert.equal(r.statusCode, 400, `${method} ${q}: ${r.body}`);
      assert.equal(r.body, JSON.stringify({ message }), `${method} ${q}`);
    }
  }
  assert.deepEqual(await rows(ta), [1, 1]);
  // deleting by a fractional duration works too (and deletes what it selects)
  const del = await call('DELETE', '/v1/alerts?until=0.5ms');
  assert.equal(del.statusCode, 200, del.body);
  assert.equal(del.body, '{"nbDeleted":"1"}');
});

test('a body with thousands of problems is answered with the first 50, not all of them', async (t) => {
  const { ta, call } = await setup(t);
  const r = await call(
    'POST',
    '/v1/alerts',
    Array.from({ length: 5000 }, () => ({})),
  );
  assert.equal(r.statusCode, 400);
  const lines = (r.json() as { message: string }).message.split('\n');
  assert.equal(lines.length, 51);
  assert.deepEqual(lines.slice(0, 3), [
    'validation failure list:',
    '0.scenario in body is required',
    '0.scenario_hash in body is required',
  ]);
  assert.deepEqual(await rows(ta), [0, 0]);
});
