import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getBouncer } from '../../src/store/bouncers.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { addBouncer, addMachine, login } from '../helpers/actors.js';

/**
 * POST /v1/usage-metrics stores what the swagger names and nothing else, within documented bounds
 * (src/api/schemas/usage-metrics.ts). It used to store every extra field as sent, up to the body cap.
 */
const base = { version: 'v1.7.8', os: { name: 'debian', version: '12' }, feature_flags: ['a'], utc_startup_timestamp: 1784990000 };
const window = (items: unknown[]) => ({ meta: { window_size_seconds: 1800, utc_now_timestamp: 1784991800 }, items });
const item = { name: 'dropped', unit: 'packet', value: 42, labels: { origin: 'CAPI' } };
const long = 'x'.repeat(256);

function poster(ta: TestApp, headers: Record<string, string>) {
  return (payload: unknown) =>
    ta.app.inject({
      method: 'POST',
      url: '/v1/usage-metrics',
      headers: { 'content-type': 'application/json', ...headers },
      payload: JSON.stringify(payload),
    });
}

const storedRows = async (ta: TestApp) =>
  (await ta.db.selectFrom('metrics').selectAll().execute()).map((r) => JSON.parse(r.payload) as unknown);

test('usage metrics: unknown fields are not stored, anywhere in the payload', async (t) => {
  const ta = await buildTestApp(t);
  const post = poster(ta, { 'x-api-key': await addBouncer(ta, 'fw'), 'user-agent': 'crowdsec-firewall-bouncer/v0.0.31' });
  const padded = {
    remediation_components: [
      {
        ...base,
        os: { ...base.os, kernel: 'junk' },
        type: 'crowdsec-firewall-bouncer',
        extra: 'y'.repeat(10_000),
        metrics: [
          {
            ...window([{ ...item, junk: [1, 2, 3] }]),
            meta: { window_size_seconds: 1800, utc_now_timestamp: 1784991800, junk: true },
            junk: {},
          },
        ],
      },
    ],
    junk: 'z',
  };
  const r = await post(padded);
  assert.equal(r.statusCode, 201, r.body);
  assert.deepEqual(await storedRows(ta), [{ type: 'crowdsec-firewall-bouncer', metrics: [window([item])] }]);

  await addMachine(ta);
  const lp = poster(ta, { authorization: `Bearer ${await login(ta)}`, 'user-agent': 'crowdsec/v1.7.8' });
  const hub = { parsers: [{ name: 'crowdsecurity/sshd-logs', status: 'enabled', version: '0.1', local_path: '/etc/x', junk: 1 }] };
  const ok = await lp({ log_processors: [{ ...base, hub_items: hub, datasources: { file: 2 }, metrics: [window([item])], junk: 1 }] });
  assert.equal(ok.statusCode, 201, ok.body);
  const m = await ta.db
    .selectFrom('machines')
    .select(['hubstate', 'datasources'])
    .where('machine_id', '=', 'web-01')
    .executeTakeFirstOrThrow();
  assert.deepEqual(JSON.parse(m.hubstate), { parsers: [{ name: 'crowdsecurity/sshd-logs', status: 'enabled', version: '0.1' }] });
  assert.deepEqual(JSON.parse(m.datasources), { file: 2 });
  assert.deepEqual((await storedRows(ta))[1], { metrics: [window([item])] });
});

test('usage metrics: sizes past the bounds are a 422 naming the field; nothing stored', async (t) => {
  const ta = await buildTestApp(t);
  const post = poster(ta, { 'x-api-key': await addBouncer(ta, 'fw'), 'user-agent': 'crowdsec-firewall-bouncer/v0.0.31' });
  await addMachine(ta);
  const lp = poster(ta, { authorization: `Bearer ${await login(ta)}`, 'user-agent': 'crowdsec/v1.7.8' });
  const rc = (over: Record<string, unknown>) => ({ remediation_components: [{ ...base, type: 'fw', ...over }] });
  const proc = (over: Record<string, unknown>) => ({ log_processors: [{ ...base, hub_items: {}, datasources: {}, ...over }] });
  const list = (s: string) => `validation failure list:\n${s}`;
  const labels = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']));
  const many = <T>(n: number, v: T) => Array.from({ length: n }, () => v);
  const cases: [string, typeof post, unknown, number, string][] = [
    [
      '17 windows',
      post,
      rc({ metrics: many(17, window([])) }),
      422,
      list('remediation_components.0.metrics in body should have at most 16 items'),
    ],
    [
      '2001 items',
      post,
      rc({ metrics: [window(many(2001, item))] }),
      422,
      list('remediation_components.0.metrics.0.items in body should have at most 2000 items'),
    ],
    [
      '33 labels',
      post,
      rc({ metrics: [window([{ ...item, labels }])] }),
      422,
      list('remediation_components.0.metrics.0.items.0.labels in body should have at most 32 properties'),
    ],
    [
      'a label key of 256',
      post,
      rc({ metrics: [window([{ ...item, labels: { [long]: 'v' } }])] }),
      422,
      list('remediation_components.0.metrics.0.items.0.labels in body has a key longer than 255 chars'),
    ],
    [
      'a label value of 256',
      post,
      rc({ metrics: [window([{ ...item, labels: { k: long } }])] }),
      422,
      list('remediation_components.0.metrics.0.items.0.labels.k in body should be at most 255 chars long'),
    ],
    ['a type of 256', post, rc({ type: long }), 422, list('remediation_components.0.type in body should be at most 255 chars long')],
    [
      '101 feature flags',
      post,
      rc({ feature_flags: many(101, 'f') }),
      422,
      list('remediation_components.0.feature_flags in body should have at most 100 items'),
    ],
    [
      'a feature flag of 256',
      post,
      rc({ feature_flags: [long] }),
      422,
      list('remediation_components.0.feature_flags.0 in body should be at most 255 chars long'),
    ],
    [
      'a timestamp past 2^53',
      post,
      rc({ utc_startup_timestamp: 2 ** 53 }),
      422,
      list('remediation_components.0.utc_startup_timestamp in body should be less than or equal to 9007199254740991'),
    ],
    [
      'a window size of -2^63',
      post,
      rc({ metrics: [{ meta: { window_size_seconds: -(2 ** 63), utc_now_timestamp: 1 }, items: [] }] }),
      422,
      list('remediation_components.0.metrics.0.meta.window_size_seconds in body should be greater than or equal to -9007199254740991'),
    ],
    [
      '33 hub types',
      lp,
      proc({ hub_items: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`t${i}`, []])) }),
      422,
      list('log_processors.0.hub_items in body should have at most 32 properties'),
    ],
    [
      '5001 hub items',
      lp,
      proc({ hub_items: { parsers: many(5001, { name: 'p' }) } }),
      422,
      list('log_processors.0.hub_items.parsers in body should have at most 5000 items'),
    ],
    [
      'a hub item name of 256',
      lp,
      proc({ hub_items: { parsers: [{ name: long }] } }),
      422,
      list('log_processors.0.hub_items.parsers.0.name in body should be at most 255 chars long'),
    ],
    [
      'a hub type of 256',
      lp,
      proc({ hub_items: { [long]: [] } }),
      422,
      list('log_processors.0.hub_items in body has a key longer than 255 chars'),
    ],
    [
      'a hub item not an object',
      lp,
      proc({ hub_items: { parsers: ['p'] } }),
      400,
      'log_processors.0.hub_items.parsers.0 in body must be of type object: "string"',
    ],
    [
      '257 datasources',
      lp,
      proc({ datasources: Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`d${i}`, 1])) }),
      422,
      list('log_processors.0.datasources in body should have at most 256 properties'),
    ],
    [
      'a datasource count past 2^53',
      lp,
      proc({ datasources: { file: 2 ** 60 } }),
      422,
      list('log_processors.0.datasources.file in body should be less than or equal to 9007199254740991'),
    ],
  ];
  for (const [what, send, payload, status, message] of cases) {
    const r = await send(payload);
    assert.equal(r.statusCode, status, `${what}: ${r.body}`);
    assert.equal(r.body, JSON.stringify({ message }), what);
  }
  assert.deepEqual(await storedRows(ta), []);
  assert.deepEqual((await getBouncer(ta.db, 'fw'))?.os, { name: '', family: '', version: '' });

  // within every count, the stored metrics are still bounded as a whole
  const big = { ...item, labels: { a: 'v'.repeat(255), b: 'v'.repeat(255) } };
  const r = await post(rc({ metrics: many(4, window(many(2000, big))) }));
  assert.equal(r.statusCode, 422, r.body);
  assert.match(
    r.body,
    /^\{"message":"validation failure list:\\nremediation_components\.0\.metrics in body should take at most 2097152 bytes stored, not \d+"\}$/,
  );
  assert.deepEqual(await storedRows(ta), []);
});
