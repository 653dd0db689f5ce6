import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alert, dispatcher, httpNotifier, startReceiver } from './helpers.js';

test('adopt: new alerts go to the adopted notifiers, the held ones still reach the previous receiver, then it closes', async (t) => {
  const [before, after] = [await startReceiver(t), await startReceiver(t)];
  // a minute's group_wait: only the drain that adopt starts can send this alert now
  const { d } = dispatcher(t, [httpNotifier(before.url, 'group_wait: 1m')], { drainTimeoutMs: 2000 });
  d.enqueue('http_default', [alert(1)]);
  assert.equal(d.stats().queued, 1);

  const { d: next } = dispatcher(t, [httpNotifier(after.url)]);
  const drained = d.adopt(next);
  assert.deepEqual(next.names, []);
  d.enqueue('http_default', [alert(2)]);
  await drained;
  assert.deepEqual(
    before.requests.map((r) => JSON.parse(r.body)),
    [[alert(1)]],
  );
  assert.deepEqual(
    (await after.waitFor(1)).map((r) => JSON.parse(r.body)),
    [[alert(2)]],
  );
  // nothing else reached the old receiver
  assert.equal(d.has('http_default'), true);
  assert.equal(before.requests.length, 1);
});

test('adopt after close: the adopted notifiers are closed, nothing is sent', async (t) => {
  const rx = await startReceiver(t);
  const { d } = dispatcher(t, []);
  await d.close();
  const { d: next } = dispatcher(t, [httpNotifier(rx.url)]);
  await d.adopt(next);
  next.enqueue('http_default', [alert(1)]);
  assert.equal(next.stats().dropped, 1);
  assert.equal(rx.requests.length, 0);
});
