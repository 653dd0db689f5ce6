import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp } from '../helpers/app.js';
import { addBouncer, addMachine, bouncerGet, login, UA } from '../helpers/actors.js';
import { parseRaw, rawConnect, readAnswer } from '../helpers/raw-http.js';
import { startTestServer } from '../helpers/server.js';
import { pause } from '../helpers/wait.js';

// Issue 11 §3–5: bodies over the cap get their 413 (not a reset), NUL and deep nesting are 400s naming
// where, and the bodies being read share one budget.

const TOO_LARGE = '{"message":"http: request body too large"}';

test('an uncompressed body over the cap gets 413 on a live connection, which then serves the next request', async (t) => {
  const server = await startTestServer(t);
  const over = 3 * 1024 * 1024; // login's cap is 2 MiB
  for (const framing of ['content-length', 'chunked'] as const) {
    const s = await rawConnect(server.url);
    t.after(() => s.destroy());
    const head =
      framing === 'content-length'
        ? `POST /v1/watchers/login HTTP/1.1\r\nHost: x\r\nUser-Agent: ${UA}\r\nContent-Length: ${over}\r\n\r\n`
        : `POST /v1/watchers/login HTTP/1.1\r\nHost: x\r\nUser-Agent: ${UA}\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const answer = readAnswer(s, { untilText: /"message":"[^"]*"\}/ });
    s.write(head);
    // the whole body is sent, as curl does, while the answer is already on its way
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    for (let sent = 0; sent < over; sent += chunk.length) {
      s.write(framing === 'chunked' ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk);
    }
    if (framing === 'chunked') s.write('0\r\n\r\n');
    const got = await answer;
    assert.notEqual(got.ended, 'reset', framing);
    const res = parseRaw(got.text);
    assert.equal(res.status, 413, framing);
    assert.equal(res.body, TOO_LARGE, framing);
    // the rest of the body was read and thrown away: the connection carries on
    const next = readAnswer(s, { untilText: /\{"status":"up"\}/ });
    s.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(parseRaw((await next).text).status, 200, framing);
  }
});

test('NUL characters in a body string or a parameter are a 400 naming the field; nothing is stored', async (t) => {
  const ta = await buildTestApp(t);
  await addMachine(ta);
  const token = await login(ta);
  const key = await addBouncer(ta);
  const register = await ta.app.inject({ method: 'POST', url: '/v1/watchers', payload: '{"machine_id":"a\\u0000b","password":"p"}' });
  assert.equal(register.statusCode, 400);
  assert.equal(register.body, `{"message":"invalid value for 'machine_id': NUL characters are not allowed"}`);
  const loginRes = await ta.app.inject({
    method: 'POST',
    url: '/v1/watchers/login',
    headers: { 'user-agent': UA },
    payload: '{"machine_id":"web-01","password":"p\\u0000"}',
  });
  assert.equal(loginRes.statusCode, 401);
  assert.equal(loginRes.body, `{"code":401,"message":"missing: invalid value for 'password': NUL characters are not allowed"}`);
  const alerts = await ta.app.inject({
    method: 'POST',
    url: '/v1/alerts',
    headers: { authorization: `Bearer ${token}` },
    payload: '[{"scenario":"x","labels":{"a\\u0000":"b"}}]',
  });
  assert.equal(alerts.statusCode, 400);
  assert.equal(alerts.body, `{"message":"invalid value for '[0].labels.a\\\\u0000': NUL characters are not allowed"}`);
  const query = await ta.app.inject({ method: 'GET', url: '/v1/alerts?scenario=%00', headers: { authorization: `Bearer ${token}` } });
  assert.equal(query.statusCode, 400);
  assert.equal(query.body, `{"message":"invalid value for 'scenario': NUL characters are not allowed"}`);
  const decisions = await bouncerGet(ta, key, '/v1/decisions?ip=1.2.3.4%00');
  assert.equal(decisions.statusCode, 400);
  assert.equal(decisions.body, `{"message":"invalid value for 'ip': NUL characters are not allowed"}`);
  // authentication comes first: without a key, still the 403
  const anonymous = await ta.app.inject({ method: 'GET', url: '/v1/decisions?ip=%00' });
  assert.equal(anonymous.statusCode, 403);
  assert.equal((await ta.db.selectFrom('machines').select('machine_id').execute()).length, 1);
  assert.equal((await ta.db.selectFrom('alerts').select('id').execute()).length, 0);
});

test('a value nested 100,000 deep is a 400 on every route that reads a body, and nothing is stored', async (t) => {
  const ta = await buildTestApp(t);
  const key = await addBouncer(ta);
  const deep = `{"remediation_components":[{"version":"v1","utc_startup_timestamp":1,"metrics":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`;
  const res = await ta.app.inject({
    method: 'POST',
    url: '/v1/usage-metrics',
    headers: { 'x-api-key': key, 'user-agent': 'crowdsec-firewall-bouncer/v0.0.31' },
    payload: deep,
  });
  assert.equal(res.statusCode, 400);
  assert.equal(res.body, '{"message":"invalid JSON body: nested too deeply"}');
  const reg = await ta.app.inject({ method: 'POST', url: '/v1/watchers', payload: '['.repeat(100_000) });
  assert.equal(reg.statusCode, 400);
  assert.equal((await ta.db.selectFrom('metrics').select('id').execute()).length, 0);
  // strings are not nesting: brackets inside them do not count
  const fine = await ta.app.inject({
    method: 'POST',
    url: '/v1/watchers',
    payload: JSON.stringify({ machine_id: `m${'['.repeat(200)}`, password: 'p' }),
  });
  assert.equal(fine.statusCode, 201);
});

test('bodies being read share one budget: past it, 503 with a message; the server then carries on', async (t) => {
  const server = await startTestServer(t, '    limits:\n      max_inflight_body_bytes: 1048576\n');
  const holdOpen = async (bytes: number) => {
    const s = await rawConnect(server.url);
    t.after(() => s.destroy());
    s.write(`POST /v1/watchers HTTP/1.1\r\nHost: x\r\nContent-Length: ${bytes + 100}\r\n\r\n`);
    s.write(Buffer.alloc(bytes, 0x20));
    return s;
  };
  const first = await holdOpen(700 * 1024);
  await pause(200); // the server reads the first body (how far it got is not visible from here)
  const second = await holdOpen(700 * 1024);
  const res = parseRaw((await readAnswer(second, { untilText: /"\}$/ })).text);
  assert.equal(res.status, 503);
  assert.equal(res.body, '{"message":"server busy: too many request bodies in flight, retry later"}');
  // the first body completes and is answered on its merits
  const answer = readAnswer(first, { untilText: /\}$/ });
  first.write(`${' '.repeat(50)}{"machine_id":"budget","password":"p"}`.padEnd(100, ' '));
  assert.equal(parseRaw((await answer).text).status, 201);
  const health = await fetch(`${server.url}/health`);
  assert.equal(health.status, 200);
});
