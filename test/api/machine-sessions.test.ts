import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MACHINE_CACHE_MS } from '../../src/auth/machine-session.js';
import { MAX_REFRESH_S, TOKEN_TTL_S } from '../../src/auth/jwt.js';
import { hashPassword } from '../../src/auth/password.js';
import { createMachine, deleteMachine, setMachinePassword } from '../../src/store/machines.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { addMachine, cscliAlert, login, UA } from '../helpers/actors.js';
import { waitUntil } from '../helpers/wait.js';

// Issue 11 §1: a JWT acts only while its machine exists, is validated, and is not older than the machine.

const bearer = (token: string) => ({ authorization: `Bearer ${token}`, 'user-agent': UA });

/** Every machine route a stolen token could use, and how to call it. */
function machineCalls(ta: TestApp, token: string) {
  return {
    'POST /v1/alerts': () =>
      ta.app.inject({ method: 'POST', url: '/v1/alerts', headers: bearer(token), payload: [cscliAlert('192.0.2.77')] }),
    'GET /v1/alerts': () => ta.app.inject({ method: 'GET', url: '/v1/alerts', headers: bearer(token) }),
    'DELETE /v1/decisions': () => ta.app.inject({ method: 'DELETE', url: '/v1/decisions?ip=192.0.2.1', headers: bearer(token) }),
    'GET /v1/heartbeat': () => ta.app.inject({ method: 'GET', url: '/v1/heartbeat', headers: bearer(token) }),
    'GET /v1/allowlists': () => ta.app.inject({ method: 'GET', url: '/v1/allowlists', headers: bearer(token) }),
    'POST /v1/usage-metrics': () =>
      ta.app.inject({
        method: 'POST',
        url: '/v1/usage-metrics',
        headers: bearer(token),
        payload: { log_processors: [{ version: 'v1', utc_startup_timestamp: 1, hub_items: {}, datasources: {} }] },
      }),
    'GET /v1/refresh_token': () => ta.app.inject({ method: 'GET', url: '/v1/refresh_token', headers: bearer(token) }),
    'DELETE /v1/watchers/self': () => ta.app.inject({ method: 'DELETE', url: '/v1/watchers/self', headers: bearer(token) }),
  };
}

async function expectRefusedEverywhere(ta: TestApp, token: string, message: string): Promise<void> {
  for (const [name, call] of Object.entries(machineCalls(ta, token))) {
    const res = await call();
    assert.equal(res.statusCode, 401, `${name}: ${res.body}`);
    assert.equal(res.body, JSON.stringify({ code: 401, message }), name);
    assert.equal(res.headers['www-authenticate'], 'JWT realm=Crowdsec API local', name);
  }
  // nothing was written by any of them
  assert.equal((await ta.db.selectFrom('alerts').select('id').execute()).length, 0);
  assert.equal((await ta.db.selectFrom('metrics').select('id').execute()).length, 0);
}

/** Retries `check` until it holds: a machine deleted by another process is refused within MACHINE_CACHE_MS. */
const eventually = (check: () => Promise<boolean>, withinMs: number) => waitUntil(check, withinMs, `a change within ${withinMs} ms`);

test('a token of a machine deleted by another process is refused on every machine route, within the cache time', async (t) => {
  const ta = await buildTestApp(t);
  await addMachine(ta);
  const token = await login(ta);
  assert.equal((await machineCalls(ta, token)['GET /v1/heartbeat']()).statusCode, 200);
  // as `lapis machines delete` does: straight in the store, this process's cache is not told
  await deleteMachine(ta.db, 'web-01');
  await eventually(async () => (await machineCalls(ta, token)['GET /v1/heartbeat']()).statusCode === 401, MACHINE_CACHE_MS + 1000);
  await expectRefusedEverywhere(ta, token, "machine 'web-01' not found");
});

test('DELETE /v1/watchers/self cuts its own token at once', async (t) => {
  const ta = await buildTestApp(t);
  await addMachine(ta);
  const token = await login(ta);
  assert.equal((await machineCalls(ta, token)['DELETE /v1/watchers/self']()).statusCode, 204);
  await expectRefusedEverywhere(ta, token, "machine 'web-01' not found");
});

test('a token of an unvalidated machine, or of one never registered, is refused', async (t) => {
  const ta = await buildTestApp(t);
  await addMachine(ta, 'pending', 'a-password-long-enough', false);
  await expectRefusedEverywhere(ta, (await ta.jwt.issue('pending')).token, "machine 'pending' not validated");
  await expectRefusedEverywhere(ta, (await ta.jwt.issue('ghost')).token, "machine 'ghost' not found");
});

test('deleted then registered again under the same name: the old token stays dead, validated or not', async (t) => {
  const ta = await buildTestApp(t);
  // a token from a minute ago: its session opened before the machine of that name (re)appeared
  const old = await ta.jwt.issue('web-01', Math.floor(Date.now() / 1000) - 60);
  await addMachine(ta);
  const heartbeat = async () => (await machineCalls(ta, old.token)['GET /v1/heartbeat']()).body;
  const before = JSON.stringify({ code: 401, message: "token was issued before machine 'web-01' was created" });
  assert.equal(await heartbeat(), before);
  await deleteMachine(ta.db, 'web-01');
  await createMachine(ta.db, { machineId: 'web-01', passwordHash: await hashPassword('x'), isValidated: false });
  await eventually(async () => (await heartbeat()).includes('not validated'), MACHINE_CACHE_MS + 1000);
  await expectRefusedEverywhere(ta, old.token, "machine 'web-01' not validated");
  await setMachinePassword(ta.db, 'web-01', await hashPassword('x'));
  await eventually(async () => (await heartbeat()) === before, MACHINE_CACHE_MS + 1000);
  await expectRefusedEverywhere(ta, old.token, "token was issued before machine 'web-01' was created");
});

test("refresh keeps the session's original issue time: no session outlives its login by more than TTL + refresh window", async (t) => {
  const ta = await buildTestApp(t);
  const nowS = Math.floor(Date.now() / 1000);
  // registered three hours ago, so that tokens from the last two hours are its own
  await createMachine(ta.db, { machineId: 'web-01', passwordHash: await hashPassword('x'), isValidated: true }, (nowS - 3 * 3600) * 1000);
  const claims = (token: string) =>
    JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number; orig_iat: number };
  // a session opened 50 minutes ago, refreshed now: same orig_iat, a new expiry
  const opened = await ta.jwt.issue('web-01', nowS - 3000);
  const res = await machineCalls(ta, opened.token)['GET /v1/refresh_token']();
  assert.equal(res.statusCode, 200, res.body);
  const refreshed = (res.json() as { token: string }).token;
  assert.equal(claims(refreshed).orig_iat, nowS - 3000);
  assert.ok(claims(refreshed).exp >= nowS + TOKEN_TTL_S - 1);
  // refreshing the refreshed token once the window from the original login has passed is refused
  const late = await ta.jwt.issue('web-01', nowS - 10, nowS - MAX_REFRESH_S - 5);
  const again = await machineCalls(ta, late.token)['GET /v1/refresh_token']();
  assert.equal(again.statusCode, 401);
  assert.equal(again.body, '{"code":401,"message":"token is expired"}');
});
