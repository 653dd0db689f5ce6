import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { NotificationDispatcher } from '../../src/notify/dispatcher.js';
import { waitUntil } from '../helpers/wait.js';
import { alert, captureLogger, dispatcher, httpNotifier, startReceiver } from './helpers.js';

// Nothing here may leave a promise rejection unhandled.
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
process.on('unhandledRejection', onUnhandled);
after(() => {
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(unhandled, []);
});

/** A URL on 127.0.0.1 where nothing listens (a port just released). */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/hook`;
}

describe('notify: a dead or slow endpoint', () => {
  test('connection refused: retried, then counted failed; nothing thrown', async (t) => {
    const { d, logger } = dispatcher(t, [httpNotifier(await deadUrl(), 'max_retry: 2')]);
    assert.doesNotThrow(() => d.enqueue('http_default', [alert()]));
    await waitUntil(() => d.stats().failed === 1);
    assert.deepEqual(d.stats(), { sent: 0, failed: 1, retried: 2, dropped: 0, queued: 0 });
    const error = logger.entries.find((e) => e.level === 'error')!;
    assert.equal(error.msg, 'notification failed');
    assert.equal((error.obj.err as NodeJS.ErrnoException).code, 'ECONNREFUSED');
  });

  test('a slow endpoint: 1,000 enqueue() calls do not wait for it; overflow is dropped, counted, warned once', async (t) => {
    const rx = await startReceiver(t, () => ({ status: 200, delayMs: 2000 }));
    const { d, logger } = dispatcher(t, [httpNotifier(rx.url)]); // default capacity: 1000 alerts
    const alerts = Array.from({ length: 1000 }, (_, i) => alert(i));

    const start = performance.now();
    for (const a of alerts) d.enqueue('http_default', [a]);
    const elapsed = performance.now() - start;
    assert.ok(elapsed < 200, `1,000 enqueue() calls took ${elapsed.toFixed(1)} ms`);
    assert.deepEqual(d.stats(), { sent: 0, failed: 0, retried: 0, dropped: 0, queued: 1000 });

    // The worker takes the first alert into a request that hangs; the queue holds the other 999.
    await rx.waitFor(1);
    assert.equal(d.stats().queued, 999);
    const burst = performance.now();
    for (let i = 0; i < 500; i++) d.enqueue('http_default', [alert(1000 + i)]);
    assert.ok(performance.now() - burst < 200);
    assert.deepEqual(d.stats(), { sent: 0, failed: 0, retried: 0, dropped: 499, queued: 1000 });
    const warnings = logger.entries.filter((e) => e.level === 'warn');
    assert.deepEqual(
      warnings.map((w) => [w.msg, w.obj.dropped, w.obj.capacity]),
      [['notification queue full, alerts dropped', 1, 1000]],
    );

    // close() gives up on the hanging request after its deadline, and on what is still queued.
    const closing = performance.now();
    await d.close(100);
    assert.ok(performance.now() - closing < 1000);
    assert.deepEqual(d.stats(), { sent: 0, failed: 1, retried: 0, dropped: 499 + 1000, queued: 0 });
    assert.ok(logger.entries.some((e) => e.msg === 'notifications not sent before shutdown' && e.obj.dropped === 1000));
  });

  test('a small queue: what does not fit in one enqueue() is dropped', async (t) => {
    const rx = await startReceiver(t, () => ({ status: 200, delayMs: 2000 }));
    const { d } = dispatcher(t, [httpNotifier(rx.url)], { queueCapacity: 10 });
    d.enqueue(
      'http_default',
      Array.from({ length: 25 }, (_, i) => alert(i)),
    );
    assert.deepEqual([d.stats().queued, d.stats().dropped], [10, 15]);
  });
});

describe('notify: close', () => {
  test('close() sends what group_wait still holds, at once and together', async (t) => {
    const rx = await startReceiver(t);
    const { d } = dispatcher(t, [httpNotifier(rx.url, 'group_wait: 10s')]);
    d.enqueue('http_default', [alert(1), alert(2)]);
    const start = performance.now();
    await d.close();
    assert.ok(performance.now() - start < 1000);
    assert.equal(rx.requests.length, 1);
    assert.deepEqual(JSON.parse(rx.requests[0]!.body), [alert(1), alert(2)]);
    assert.deepEqual(d.stats(), { sent: 1, failed: 0, retried: 0, dropped: 0, queued: 0 });
  });

  test('close() cuts a backoff short; enqueue() after close drops and counts', async (t) => {
    const rx = await startReceiver(t, () => ({ status: 500 }));
    const { d } = dispatcher(t, [httpNotifier(rx.url, 'max_retry: 5')], { backoffBaseMs: 10_000, backoffCapMs: 10_000 });
    d.enqueue('http_default', [alert()]);
    await rx.waitFor(1);
    const start = performance.now();
    await d.close(50);
    assert.ok(performance.now() - start < 1000);
    assert.deepEqual(d.stats(), { sent: 0, failed: 1, retried: 1, dropped: 0, queued: 0 });
    assert.doesNotThrow(() => d.enqueue('http_default', [alert()]));
    assert.equal(d.stats().dropped, 1);
    await d.close(); // idempotent
  });
});

describe('notify: nothing crashes', () => {
  test('an unknown notifier is logged once and ignored', async (t) => {
    const { d, logger } = dispatcher(t, []);
    d.enqueue('nope', [alert()]);
    d.enqueue('nope', [alert()]);
    assert.deepEqual(
      logger.entries.map((e) => [e.level, e.msg, e.obj.notifier]),
      [['error', 'no such notifier: alerts not notified', 'nope']],
    );
    assert.equal(d.has('nope'), false);
  });

  test('not a list: logged, ignored', (t) => {
    const { d, logger } = dispatcher(t, [httpNotifier('http://127.0.0.1:1/')]);
    assert.doesNotThrow(() => d.enqueue('http_default', 'alert' as unknown as unknown[]));
    assert.equal(logger.entries[0]!.msg, 'enqueue expects a list of alerts');
  });

  test('a template that fails on the data: counted failed, nothing sent', async (t) => {
    const rx = await startReceiver(t);
    const { d, logger } = dispatcher(t, [httpNotifier(rx.url, "format: '{{range .}}{{.Scenario.Name}}{{end}}'")]);
    d.enqueue('http_default', [alert()]);
    await waitUntil(() => d.stats().failed === 1);
    assert.equal(rx.requests.length, 0);
    const entry = logger.entries.find((e) => e.level === 'error')!;
    assert.equal(entry.msg, 'notification format failed');
    assert.equal(
      (entry.obj.err as Error).message,
      "template: http_default:1: executing at <.Scenario.Name>: can't evaluate field Name in type string",
    );
  });

  test('a throwing onCount hook does not stop delivery', async (t) => {
    const rx = await startReceiver(t);
    const seen: string[] = [];
    const { d } = dispatcher(t, [httpNotifier(rx.url)], {
      onCount: (counter, notifier, n) => {
        seen.push(`${counter}:${notifier}:${n}`);
        throw new Error('metrics broke');
      },
    });
    d.enqueue('http_default', [alert()]);
    await waitUntil(() => d.stats().sent === 1);
    assert.deepEqual(seen, ['sent:http_default:1']);
  });

  test('several notifiers: a dead one does not hold up a live one', async (t) => {
    const rx = await startReceiver(t);
    const dead = httpNotifier(await deadUrl(), 'max_retry: 3', 'dead');
    const { d } = dispatcher(t, [dead, httpNotifier(rx.url, '', 'live')], { backoffBaseMs: 1000, backoffCapMs: 1000 });
    d.enqueue('dead', [alert()]);
    d.enqueue('live', [alert()]);
    await rx.waitFor(1, 500);
    assert.deepEqual(d.names, ['dead', 'live']);
  });
});

describe('notify: counters without a receiver', () => {
  test('stats() of an unknown notifier are zeros', () => {
    const d = new NotificationDispatcher([], { logger: captureLogger() });
    assert.deepEqual(d.stats('nope'), { sent: 0, failed: 0, retried: 0, dropped: 0, queued: 0 });
    return d.close();
  });

  test('two notifiers with one name are refused', () => {
    const n = httpNotifier('http://127.0.0.1:1/');
    assert.throws(() => new NotificationDispatcher([n, n], { logger: captureLogger() }), {
      message: 'notifier "http_default" is configured twice',
    });
  });
});
