import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { adminClient, makeList } from '../helpers/admin.js';
import { buildTestApp, type tempDir, type TestApp } from '../helpers/app.js';
import { addAdminKey, addBouncer, addMachine, login, UA } from '../helpers/actors.js';

// Issue 12, defect 7: one row per status code the API sends, each with its exact body; the 500 is a real
// store failure, and leaks neither SQL, nor a table name, nor a stack (STYLE §3).

/** buildTestApp's app, with a logger writing JSON lines to `log`. */
async function appWithLog(t: Parameters<typeof tempDir>[0], yaml: string): Promise<TestApp & { log: string[] }> {
  const log: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      log.push(chunk.toString());
      done();
    },
  });
  return { ...(await buildTestApp(t, { yaml, logger: pino({ level: 'info' }, sink) })), log };
}

// a tiny budget for bodies in flight, so that one body of a few KiB is a 503; one failure allowed before logins wait
const YAML = 'api:\n  server:\n    limits:\n      max_inflight_body_bytes: 1024\n      login_failures_allowed: 1\n';

interface Row {
  status: number;
  what: string;
  call: () => Promise<LightMyRequestResponse>;
  body: string;
  headers?: Record<string, string>;
}

test('every status the API sends, with its exact body; a store failure is a 500 that leaks nothing and is logged', async (t) => {
  const ta = await appWithLog(t, YAML);
  await addMachine(ta, 'web-01');
  const token = await login(ta, 'web-01');
  const bouncerKey = await addBouncer(ta, 'fw01', 'key-of-fw01-0123456789');
  const call = adminClient(ta, await addAdminKey(ta));
  const listId = await makeList(call, 'office', [{ type: 'remediation_component_integration', ids: ['fw01'] }]);
  const auth = { authorization: `Bearer ${token}` };
  const long = 'x'.repeat(256);

  const rows: Row[] = [
    {
      status: 400,
      what: 'a bad IP to check, from a machine no list covers',
      call: () => ta.app.inject({ method: 'GET', url: '/v1/allowlists/check/bad-apple', headers: auth }),
      body: `{"message":"invalid ip address 'bad-apple'"}`,
    },
    {
      status: 401,
      what: 'no token on a machine route: upstream JWT-shaped answer',
      call: () => ta.app.inject({ method: 'GET', url: '/v1/alerts' }),
      body: '{"code":401,"message":"cookie token is empty"}',
      headers: { 'www-authenticate': 'JWT realm=Crowdsec API local' },
    },
    {
      status: 403,
      what: 'a wrong bouncer key',
      call: () => ta.app.inject({ method: 'GET', url: '/v1/decisions', headers: { 'x-api-key': 'not-the-key-0123456789' } }),
      body: '{"message":"access forbidden"}',
    },
    {
      status: 404,
      what: 'an allowlist the machine cannot see',
      call: () => ta.app.inject({ method: 'GET', url: '/v1/allowlists/nope', headers: auth }),
      body: `{"message":"allowlist 'nope' not found"}`,
    },
    {
      status: 405,
      what: 'a known path with another method (gin: empty body, Allow header)',
      call: () => ta.app.inject({ method: 'HEAD', url: '/health' }),
      body: '',
      headers: { allow: 'GET' },
    },
    {
      status: 409,
      what: 'deleting a list that still has subscribers (admin API)',
      call: () =>
        ta.admin.inject({ method: 'DELETE', url: `/v1/allowlists/${listId}`, headers: { 'x-api-key': 'an-admin-key-0123456789abcdef' } }),
      body: `{"message":"allowlist '${listId}' has 1 subscriber(s): unsubscribe them first, or delete with force=true"}`,
    },
    {
      status: 413,
      what: 'a login body over its 2 MiB cap',
      call: () =>
        ta.app.inject({
          method: 'POST',
          url: '/v1/watchers/login',
          headers: { 'user-agent': UA, 'content-type': 'application/json' },
          payload: ' '.repeat(2 * 1024 * 1024 + 1),
        }),
      body: '{"message":"http: request body too large"}',
    },
    {
      status: 422,
      what: 'usage metrics past a documented bound',
      call: () =>
        ta.app.inject({
          method: 'POST',
          url: '/v1/usage-metrics',
          headers: { 'x-api-key': bouncerKey, 'content-type': 'application/json' },
          payload: JSON.stringify({ remediation_components: [{ version: 'v1', utc_startup_timestamp: 1784990000, type: long }] }),
        }),
      body: '{"message":"validation failure list:\\nremediation_components.0.type in body should be at most 255 chars long"}',
    },
    {
      status: 429,
      what: 'a second failed login from the same source',
      call: async () => {
        const bad = () =>
          ta.app.inject({
            method: 'POST',
            url: '/v1/watchers/login',
            headers: { 'user-agent': UA },
            payload: { machine_id: 'web-01', password: 'wrong-password-here' },
          });
        assert.equal((await bad()).statusCode, 401);
        return bad();
      },
      body: '{"message":"too many failed logins: retry in 1s"}',
      headers: { 'retry-after': '1' },
    },
    {
      status: 503,
      what: 'a body bigger than the in-flight budget',
      call: () =>
        ta.app.inject({
          method: 'POST',
          url: '/v1/watchers',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ machine_id: 'm', password: 'p'.repeat(4096) }),
        }),
      body: '{"message":"server busy: too many request bodies in flight, retry later"}',
    },
    {
      status: 500,
      what: 'the alerts table gone from under the running app',
      call: async () => {
        await ta.db.schema.alterTable('alerts').renameTo('alerts_gone').execute();
        return ta.app.inject({ method: 'GET', url: '/v1/alerts', headers: auth });
      },
      body: '{"message":"internal server error"}',
    },
  ];

  const got: [number, string, string][] = [];
  for (const row of rows) {
    const res = await row.call();
    got.push([res.statusCode, row.what, res.body]);
    for (const [name, value] of Object.entries(row.headers ?? {})) assert.equal(res.headers[name], value, `${row.status} ${name}`);
  }
  assert.deepEqual(
    got,
    rows.map((r) => [r.status, r.what, r.body]),
  );

  // the 500 says nothing of the cause...
  const five = got.at(-1)![2];
  for (const leak of [/alerts/i, /select/i, /sql/i, /table/i, /\bat\s/, /\.js/]) assert.doesNotMatch(five, leak);
  // ...which is logged, with the error object and the request id
  const errors = ta.log
    .map((l) => JSON.parse(l) as { level: number; msg: string; request_id?: string; err?: { message: string; stack: string } })
    .filter((l) => l.level >= 50);
  assert.equal(errors.length, 1, ta.log.join(''));
  assert.equal(errors[0]!.msg, 'request failed');
  assert.ok(errors[0]!.request_id);
  assert.match(errors[0]!.err!.message, /alerts/);
  assert.ok(errors[0]!.err!.stack);
});
