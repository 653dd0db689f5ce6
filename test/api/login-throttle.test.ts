import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FORGET_MS, LoginThrottle } from '../../src/auth/login-throttle.js';
import { TooManyRequestsError } from '../../src/errors.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { addMachine, UA } from '../helpers/actors.js';
import { pause } from '../helpers/wait.js';

// Issue 11 §7: password guesses are slowed per source and per machine; working agents are not.

/** The wait a throttle imposes now, in seconds (0: allowed). */
function waitOf(fn: () => void): number {
  try {
    fn();
    return 0;
  } catch (err) {
    assert.ok(err instanceof TooManyRequestsError);
    return err.retryAfterS;
  }
}

test('LoginThrottle: free failures, then waits doubling from 1 s to the cap; forgotten after a quiet spell', () => {
  let now = 1_000_000;
  const th = new LoginThrottle({ failuresAllowed: 3, backoffMaxMs: 10_000, now: () => now });
  const waits: number[] = [];
  for (let i = 0; i < 8; i++) {
    th.failed('10.0.0.1', 'm');
    waits.push(waitOf(() => th.checkSource('10.0.0.1')));
    // each failure comes once the previous wait is over
    now += waits.at(-1)! * 1000;
  }
  assert.deepEqual(waits, [0, 0, 1, 2, 4, 8, 10, 10]);
  assert.equal(
    waitOf(() => th.checkSource('10.0.0.2')),
    0,
    'another source is not slowed',
  );
  th.failed('10.0.0.1', 'm');
  assert.equal(
    waitOf(() => th.checkSource('10.0.0.1')),
    10,
  );
  now += FORGET_MS + 1;
  th.failed('10.0.0.1', 'm');
  assert.equal(
    waitOf(() => th.checkSource('10.0.0.1')),
    0,
    'a quiet quarter of an hour starts the count again',
  );
});

test("LoginThrottle: a machine's wait spares the address it last logged in from; success clears it", () => {
  const th = new LoginThrottle({ failuresAllowed: 2, backoffMaxMs: 60_000 });
  for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) th.failed(ip, 'web-01');
  assert.equal(
    waitOf(() => th.checkMachine('web-01', '10.0.0.9', '192.0.2.1')),
    2,
  );
  assert.equal(
    waitOf(() => th.checkMachine('web-01', '192.0.2.1', '192.0.2.1')),
    0,
  );
  th.succeeded('web-01');
  assert.equal(
    waitOf(() => th.checkMachine('web-01', '10.0.0.9', '192.0.2.1')),
    0,
  );
});

test('LoginThrottle: password checks run two at a time, in order', async () => {
  const th = new LoginThrottle({ failuresAllowed: 5, backoffMaxMs: 1000 });
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const check = (i: number) =>
    th.checking(async () => {
      peak = Math.max(peak, ++running);
      await pause(5);
      running--;
      order.push(i);
      return i;
    });
  assert.deepEqual(await Promise.all([0, 1, 2, 3, 4, 5].map(check)), [0, 1, 2, 3, 4, 5]);
  assert.equal(peak, 2);
  assert.deepEqual(order.slice(2), [2, 3, 4, 5]);
});

const loginFrom = (ta: TestApp, remoteAddress: string, machine_id: string, password: string) =>
  ta.app.inject({
    method: 'POST',
    url: '/v1/watchers/login',
    remoteAddress,
    headers: { 'user-agent': UA },
    payload: { machine_id, password },
  });

test('POST /v1/watchers/login: a guessing source gets 429 with Retry-After; the agent at its own address still logs in', async (t) => {
  const ta = await buildTestApp(t, { yaml: 'api:\n  server:\n    limits:\n      login_failures_allowed: 3\n' });
  const { password } = await addMachine(ta);
  // the agent logs in once from its own address, which the machine then records
  assert.equal((await loginFrom(ta, '192.0.2.10', 'web-01', password)).statusCode, 200);

  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await loginFrom(ta, '203.0.113.5', 'web-01', `guess-${i}`)).statusCode);
  assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
  const refused = await loginFrom(ta, '203.0.113.5', 'web-01', password);
  assert.equal(refused.statusCode, 429, 'even the right password waits: the guesser must not learn it');
  assert.equal(refused.headers['retry-after'], '1');
  assert.equal(refused.body, '{"message":"too many failed logins: retry in 1s"}');

  // the machine is being guessed: other addresses wait too, its own does not
  assert.equal((await loginFrom(ta, '198.51.100.7', 'web-01', password)).statusCode, 429);
  assert.equal((await loginFrom(ta, '192.0.2.10', 'web-01', password)).statusCode, 200);

  // unknown machine ids cost nothing to ask, but count as guesses of their source
  const unknown: number[] = [];
  for (let i = 0; i < 4; i++) unknown.push((await loginFrom(ta, '203.0.113.99', `nobody-${i}`, 'x')).statusCode);
  assert.deepEqual(unknown, [401, 401, 401, 429]);
});
