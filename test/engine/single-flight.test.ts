import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SingleFlight } from '../../src/engine/single-flight.js';
import { pause, waitUntil } from '../helpers/wait.js';

/** A task whose runs are released by hand: `runs` counts starts, `release()` ends the oldest. */
function gated() {
  const pending: (() => void)[] = [];
  let runs = 0;
  const flight = new SingleFlight(() => {
    runs++;
    return new Promise<void>((resolve) => pending.push(resolve));
  });
  const release = async () => {
    pending.shift()!();
    // let the queued run start
    await new Promise((r) => setImmediate(r));
  };
  return { flight, release, runs: () => runs };
}

test('SingleFlight: one run at a time; calls during a run share one more run after it', async () => {
  const { flight, release, runs } = gated();
  const first = flight.run();
  const second = flight.run();
  const third = flight.run();
  assert.equal(second, third);
  assert.equal(runs(), 1);
  await release();
  await first;
  assert.equal(runs(), 2);
  await release();
  await second;
  assert.equal(runs(), 2);
  // idle again: the next call starts at once
  const fourth = flight.run();
  assert.equal(runs(), 3);
  await release();
  await fourth;
});

test('SingleFlight: a failed run rejects its callers, and the next call runs again', async () => {
  let n = 0;
  const flight = new SingleFlight(async () => {
    if (++n === 1) throw new Error('store down');
  });
  await assert.rejects(flight.run(), { message: 'store down' });
  await flight.run();
  assert.equal(n, 2);
});

test('SingleFlight: stop waits for the run in flight; the queued one and later calls do not run', async () => {
  const { flight, release, runs } = gated();
  void flight.run();
  const queued = flight.run();
  let stoppedYet = false;
  const stopped = flight.stop().then(() => (stoppedYet = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(stoppedYet, false);
  await release();
  await stopped;
  await queued;
  assert.equal(runs(), 1);
  await flight.run();
  assert.equal(runs(), 1);
});

test('SingleFlight.every: runs the task on a timer, its failures to onError; stop ends the timer', async () => {
  let n = 0;
  const errors: unknown[] = [];
  const flight = new SingleFlight(async () => {
    if (++n === 2) throw new Error('store down');
  });
  flight.every(5, (err) => errors.push(err));
  await waitUntil(() => n >= 3, 2000, 'three timed runs');
  await flight.stop();
  assert.deepEqual(
    errors.map((e) => (e as Error).message),
    ['store down'],
  );
  const after = n;
  await pause(30);
  assert.equal(n, after);
});
