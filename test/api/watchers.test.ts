import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { getMachine } from '../../src/store/machines.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { addMachine, gzipJson, login, UA } from '../helpers/actors.js';

const REALM = 'JWT realm=Crowdsec API local';

/** POST /v1/watchers registering machine `a` (password `p`), with `headers`. */
const registerA = (app: TestApp['app'], headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/v1/watchers', payload: { machine_id: 'a', password: 'p' }, headers });

test('GET /health answers {"status":"up"}; HEAD /health is 405', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/health' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.body, '{"status":"up"}');
  assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(res.headers['cache-control'], 'no-cache');
  const head = await app.inject({ method: 'HEAD', url: '/health' });
  assert.equal(head.statusCode, 405);
});

test('unknown paths are 404 with an empty body, wrong methods 405 with Allow, trailing slashes redirect', async (t) => {
  const { app } = await buildTestApp(t);
  const nf = await app.inject({ method: 'GET', url: '/test' });
  assert.equal(nf.statusCode, 404);
  assert.equal(nf.body, '');
  const wrong = await app.inject({ method: 'POST', url: '/v1/heartbeat' });
  assert.equal(wrong.statusCode, 405);
  assert.equal(wrong.body, '');
  assert.equal(wrong.headers.allow, 'GET');
  const slash = await app.inject({ method: 'GET', url: '/v1/heartbeat/' });
  assert.equal(slash.statusCode, 301);
  assert.equal(slash.headers.location, '/v1/heartbeat');
});

test('POST /v1/watchers registers a pending machine: 201, empty body', async (t) => {
  const ta = await buildTestApp(t);
  const res = await ta.app.inject({ method: 'POST', url: '/v1/watchers', payload: { machine_id: 'web-01', password: 'pw-pw-pw' } });
  assert.equal(res.statusCode, 201);
  assert.equal(res.body, '');
  const m = await getMachine(ta.db, 'web-01');
  assert.equal(m?.isValidated, false);
  assert.equal(m?.ipAddress, '127.0.0.1');
  assert.notEqual(m?.passwordHash, 'pw-pw-pw');
  assert.match(m?.passwordHash ?? '', /^\$2[aby]\$10\$/);
});

test('POST /v1/watchers: bad bodies are refused and nothing is stored', async (t) => {
  const ta = await buildTestApp(t);
  const cases: [string | object | undefined, number, string][] = [
    ['test', 400, 'invalid JSON body: '],
    [undefined, 400, 'EOF'],
    [{ test: 'test' }, 422, 'validation failure list:\nmachine_id in body is required\npassword in body is required'],
    [{ machine_id: 'x', password: 12 }, 422, 'validation failure list:\npassword in body must be of type string: "integer"'],
    [{ machine_id: 'x', password: null }, 422, 'validation failure list:\npassword in body is required'],
    [{ machine_id: '', password: 'p' }, 422, 'validation failure list:\nmachine_id in body should be at least 1 chars long'],
    [
      { machine_id: 'x', password: 'p', registration_token: 'meh' },
      422,
      'validation failure list:\nregistration_token in body should be at least 32 chars long',
    ],
    [{ machine_id: 'x', password: 'p'.repeat(73) }, 400, 'unable to hash'],
  ];
  for (const [payload, status, message] of cases) {
    const res = await ta.app.inject({
      method: 'POST',
      url: '/v1/watchers',
      headers: { 'content-type': 'application/json' },
      ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    });
    assert.equal(res.statusCode, status, `${JSON.stringify(payload)} → ${res.body}`);
    const body = res.json() as { message: string };
    assert.deepEqual(Object.keys(body), ['message']);
    if (message.endsWith(': ')) assert.ok(body.message.startsWith(message), body.message);
    else assert.equal(body.message, message);
  }
  assert.equal(await getMachine(ta.db, 'x'), undefined);
});

test('POST /v1/watchers twice: 403 user already exist', async (t) => {
  const { app } = await buildTestApp(t);
  const payload = { machine_id: 'test', password: 'pw' };
  assert.equal((await app.inject({ method: 'POST', url: '/v1/watchers', payload })).statusCode, 201);
  const res = await app.inject({ method: 'POST', url: '/v1/watchers', payload });
  assert.equal(res.statusCode, 403);
  assert.equal(res.body, `{"message":"user 'test': user already exist"}`);
});

test('auto-registration: wrong token 401, IP outside the ranges 401, right token 202 and validated', async (t) => {
  const token = 'x'.repeat(32);
  const yaml = `api:\n  server:\n    auto_registration:\n      enabled: true\n      token: "${token}"\n      allowed_ranges: ["127.0.0.1/32"]\n    use_forwarded_for_headers: true\n`;
  const ta = await buildTestApp(t, { yaml });
  const reg = (body: object, ip?: string) =>
    ta.app.inject({ method: 'POST', url: '/v1/watchers', payload: body, headers: ip ? { 'x-forwarded-for': ip } : {} });
  let res = await reg({ machine_id: 'a', password: 'p', registration_token: 'y'.repeat(32) });
  assert.equal(res.statusCode, 401);
  assert.equal(res.body, '{"message":"invalid token for auto registration"}');
  res = await reg({ machine_id: 'b', password: 'p', registration_token: token }, '127.0.0.2');
  assert.equal(res.statusCode, 401);
  assert.equal(res.body, '{"message":"IP not in allowed range for auto registration"}');
  assert.equal(await getMachine(ta.db, 'a'), undefined);
  assert.equal(await getMachine(ta.db, 'b'), undefined);
  res = await reg({ machine_id: 'c', password: 'p', registration_token: token });
  assert.equal(res.statusCode, 202);
  assert.equal((await getMachine(ta.db, 'c'))?.isValidated, true);
  res = await reg({ machine_id: 'd', password: 'p' });
  assert.equal(res.statusCode, 201);
});

test('disable_remote_lapi_registration refuses non-loopback clients', async (t) => {
  const yaml = 'api:\n  server:\n    disable_remote_lapi_registration: true\n    trusted_proxies: ["127.0.0.1"]\n';
  const { app } = await buildTestApp(t, { yaml });
  const res = await registerA(app, { 'x-forwarded-for': '203.0.113.9' });
  assert.equal(res.statusCode, 403);
  assert.equal(res.body, '{"message":"access forbidden"}');
  const local = await registerA(app);
  assert.equal(local.statusCode, 201);
});

test('forwarded headers are ignored unless configured', async (t) => {
  const plain = await buildTestApp(t);
  await registerA(plain.app, { 'x-real-ip': '1.1.1.1' });
  assert.equal((await getMachine(plain.db, 'a'))?.ipAddress, '127.0.0.1');
  const fwd = await buildTestApp(t, { yaml: 'api:\n  server:\n    use_forwarded_for_headers: true\n' });
  await registerA(fwd.app, { 'x-real-ip': '1.1.1.1' });
  assert.equal((await getMachine(fwd.db, 'a'))?.ipAddress, '1.1.1.1');
});

test('POST /v1/watchers/login: {code, expire, token}, JWT HS256 with id/exp/orig_iat, side effects stored', async (t) => {
  const ta = await buildTestApp(t);
  await addMachine(ta);
  const res = await ta.app.inject({
    method: 'POST',
    url: '/v1/watchers/login',
    headers: { 'user-agent': UA },
    payload: {
      machine_id: 'web-01',
      password: 's3cr3t-but-long-enough',
      scenarios: ['crowdsecurity/ssh-bf', 'crowdsecurity/http-probing'],
    },
  });
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /^\{"code":200,"expire":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)","token":"[\w-]+\.[\w-]+\.[\w-]+"\}$/);
  const { token, expire } = res.json() as { token: string; expire: string };
  const [header, payload] = token
    .split('.')
    .slice(0, 2)
    .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
  assert.equal(header.alg, 'HS256');
  assert.deepEqual(Object.keys(payload).sort(), ['exp', 'id', 'orig_iat']);
  assert.equal(payload.id, 'web-01');
  assert.equal(payload.exp - payload.orig_iat, 3600);
  assert.equal(Date.parse(expire) / 1000, payload.exp);
  const m = await getMachine(ta.db, 'web-01');
  assert.deepEqual(m?.scenarios, ['crowdsecurity/ssh-bf', 'crowdsecurity/http-probing']);
  assert.equal(m?.version, 'v1.7.8-linux');
  assert.equal(m?.ipAddress, '127.0.0.1');
});

test('login failures are 401 {"code":401,"message"} with the realm header', async (t) => {
  const ta = await buildTestApp(t);
  await addMachine(ta);
  await addMachine(ta, 'pending', 'pw', false);
  const cases: [unknown, string, string][] = [
    ['test', UA, 'missing: invalid JSON body: '],
    [undefined, UA, 'missing: EOF'],
    [{ machine_id: 'web-01' }, UA, 'validation failure list:\npassword in body is required'],
    [{ machine_id: 'nobody', password: 'x' }, UA, 'ent: machine not found'],
    [{ machine_id: 'pending', password: 'pw' }, UA, 'machine pending not validated'],
    [{ machine_id: 'web-01', password: 'wrong' }, UA, 'incorrect Username or Password'],
    [{ machine_id: 'web-01', password: 's3cr3t-but-long-enough' }, 'no-slash-agent', 'incorrect Username or Password'],
    [{ machine_id: 'web-01', password: 's3cr3t-but-long-enough' }, 'a/b/c', 'incorrect Username or Password'],
  ];
  for (const [payload, ua, message] of cases) {
    const res = await ta.app.inject({
      method: 'POST',
      url: '/v1/watchers/login',
      headers: { 'user-agent': ua, 'content-type': 'application/json' },
      ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    });
    assert.equal(res.statusCode, 401, res.body);
    assert.equal(res.headers['www-authenticate'], REALM);
    const body = res.json() as { code: number; message: string };
    assert.deepEqual(Object.keys(body), ['code', 'message']);
    assert.equal(body.code, 401);
    if (message.endsWith(': ')) assert.ok(body.message.startsWith(message), body.message);
    else assert.equal(body.message, message);
  }
});

test('JWT-protected routes: missing, malformed, tampered and expired tokens', async (t) => {
  const ta = await buildTestApp(t);
  await addMachine(ta);
  const token = await login(ta);
  const hb = (authorization?: string) =>
    ta.app.inject({ method: 'GET', url: '/v1/heartbeat', headers: authorization ? { authorization } : {} });
  const expect401 = async (authorization: string | undefined, message: string) => {
    const res = await hb(authorization);
    assert.equal(res.statusCode, 401, `${authorization}: ${res.body}`);
    assert.equal(res.headers['www-authenticate'], REALM);
    assert.equal(res.body, JSON.stringify({ code: 401, message }));
  };
  await expect401(undefined, 'cookie token is empty');
  await expect401('Basic abc', 'cookie token is empty');
  await expect401(`bearer ${token}`, 'cookie token is empty');
  await expect401('Bearer abc', 'token contains an invalid number of segments');
  const [h, p, s] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), id: 'root' })).toString('base64url');
  await expect401(`Bearer ${h}.${forged}.${s}`, 'signature is invalid');
  const other = new (await import('../../src/auth/jwt.js')).JwtService(new Uint8Array(64).fill(7));
  await expect401(`Bearer ${(await other.issue('web-01')).token}`, 'signature is invalid');
  const expired = await ta.jwt.issue('web-01', Math.floor(Date.now() / 1000) - 7200);
  await expect401(`Bearer ${expired.token}`, 'Token is expired');
  const ok = await hb(`Bearer ${token}`);
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.body, '');
  const cookie = await ta.app.inject({ method: 'GET', url: '/v1/heartbeat', headers: { cookie: `jwt=${token}` } });
  assert.equal(cookie.statusCode, 200);
  assert.notEqual((await getMachine(ta.db, 'web-01'))?.lastHeartbeat, null);
});

test('GET /v1/refresh_token issues a new token; an old expired one is refused', async (t) => {
  const ta = await buildTestApp(t);
  await addMachine(ta);
  const token = await login(ta);
  const res = await ta.app.inject({ method: 'GET', url: '/v1/refresh_token', headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /^\{"code":200,"expire":"[^"]+","token":"[^"]+"\}$/);
  const stale = await ta.jwt.issue('web-01', Math.floor(Date.now() / 1000) - 7300);
  const bad = await ta.app.inject({ method: 'GET', url: '/v1/refresh_token', headers: { authorization: `Bearer ${stale.token}` } });
  assert.equal(bad.statusCode, 401);
  assert.equal(bad.body, '{"code":401,"message":"token is expired"}');
  const none = await ta.app.inject({ method: 'GET', url: '/v1/refresh_token' });
  assert.equal(none.body, '{"code":401,"message":"cookie token is empty"}');
});

test('DELETE /v1/watchers/self removes the machine: 204, then its token is refused', async (t) => {
  const ta = await buildTestApp(t);
  await addMachine(ta);
  const token = await login(ta);
  const del = () => ta.app.inject({ method: 'DELETE', url: '/v1/watchers/self', headers: { authorization: `Bearer ${token}` } });
  const res = await del();
  assert.equal(res.statusCode, 204);
  assert.equal(res.body, '');
  assert.equal(await getMachine(ta.db, 'web-01'), undefined);
  const again = await del();
  assert.equal(again.statusCode, 401);
  assert.equal(again.body, `{"code":401,"message":"machine 'web-01' not found"}`);
});

test('gzip bodies are accepted; a gzip bomb gets 413 and the server keeps serving', async (t) => {
  const ta = await buildTestApp(t);
  const ok = await ta.app.inject({
    method: 'POST',
    url: '/v1/watchers',
    headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' },
    payload: gzipJson({ machine_id: 'zipped', password: 'p' }),
  });
  assert.equal(ok.statusCode, 201);
  // 64 MiB of spaces inside a JSON string: ~65 KiB compressed, far above the 2 MiB login cap once inflated
  const bomb = gzipSync(
    Buffer.concat([Buffer.from('{"machine_id":"'), Buffer.alloc(64 * 1024 * 1024, 0x20), Buffer.from('","password":"x"}')]),
  );
  assert.ok(bomb.length < 200 * 1024);
  for (const url of ['/v1/watchers/login', '/v1/watchers']) {
    const res = await ta.app.inject({ method: 'POST', url, headers: { 'content-encoding': 'gzip', 'user-agent': UA }, payload: bomb });
    assert.equal(res.statusCode, 413, url);
    assert.equal(res.body, '{"message":"http: request body too large"}');
  }
  const notGzip = await ta.app.inject({ method: 'POST', url: '/v1/watchers', headers: { 'content-encoding': 'gzip' }, payload: 'plain' });
  assert.equal(notGzip.statusCode, 400);
  assert.ok((notGzip.json() as { message: string }).message.startsWith('unreadable request body'));
  assert.equal((await ta.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
});
