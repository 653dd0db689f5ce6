import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { parseNotifiers } from '../../src/notify/config.js';
import { tempDir } from '../helpers/app.js';
import { hasOpenssl } from '../helpers/pki.js';
import { pause, waitUntil } from '../helpers/wait.js';
import { alert, dispatcher, httpNotifier, startReceiver } from './helpers.js';

describe('notify: what is delivered', () => {
  test('{{.|toJson}}: the alert list as Go marshals it, byte for byte', async (t) => {
    const rx = await startReceiver(t);
    const { d } = dispatcher(t, [httpNotifier(rx.url)]);
    d.enqueue('http_default', [
      { scenario: 'a/b', message: '<b> & "c"', events_count: 2, source: { ip: '192.0.2.1', scope: 'Ip' }, decisions: [] },
    ]);
    const [req] = await rx.waitFor(1);
    assert.equal(
      req!.body,
      '[{"scenario":"a/b","message":"\\u003cb\\u003e \\u0026 \\"c\\"","events_count":2,"source":{"ip":"192.0.2.1","scope":"Ip"},"decisions":[]}]',
    );
    await waitUntil(() => d.stats().sent === 1);
    assert.deepEqual(d.stats(), { sent: 1, failed: 0, retried: 0, dropped: 0, queued: 0 });
  });

  test('the fixture alert, unchanged', async (t) => {
    const rx = await startReceiver(t);
    const { d } = dispatcher(t, [httpNotifier(rx.url)]);
    d.enqueue('http_default', [alert(1)]);
    const [req] = await rx.waitFor(1);
    assert.deepEqual(JSON.parse(req!.body), [alert(1)]);
  });

  test('a range template over a group of alerts', async (t) => {
    const rx = await startReceiver(t);
    const format = [
      'format: |',
      '  {{- range . -}}',
      '  {{ $alert := . -}}',
      '  {{ range .Decisions -}}',
      '  {{ .Type }} {{ .Value }} for {{ .Duration }} ({{ $alert.Scenario }}, {{ $alert.Source.Cn }}, {{ $alert.EventsCount }} events)',
      '  {{ end -}}',
      '  {{ end -}}',
      '  {{ len . }} alerts',
    ].join('\n');
    const { d } = dispatcher(t, [httpNotifier(rx.url, `group_threshold: 2\n${format}`)]);
    d.enqueue('http_default', [alert(1), alert(2)]);
    const [req] = await rx.waitFor(1);
    assert.equal(
      req!.body,
      'ban 91.121.79.195 for 4h (crowdsecurity/ssh-bf, FR, 6 events)\nban 91.121.79.195 for 4h (crowdsecurity/ssh-bf, FR, 6 events)\n2 alerts\n',
    );
  });

  test('method and headers as configured; Content-Length set; no Content-Type added', async (t) => {
    const rx = await startReceiver(t);
    const { d, logger } = dispatcher(t, [
      httpNotifier(rx.url, 'method: PUT\nheaders:\n  Authorization: Bearer hush-hush\n  X-Lapis-Test: "1"'),
    ]);
    d.enqueue('http_default', [alert()]);
    const [req] = await rx.waitFor(1);
    assert.equal(req!.method, 'PUT');
    assert.equal(req!.url, '/hook');
    assert.equal(req!.headers.authorization, 'Bearer hush-hush');
    assert.equal(req!.headers['x-lapis-test'], '1');
    assert.equal(req!.headers['content-length'], String(Buffer.byteLength(req!.body)));
    assert.equal(req!.headers['content-type'], undefined);
    await d.close();
    assert.ok(!JSON.stringify(logger.entries).includes('hush-hush'));
  });
});

describe('notify: grouping', () => {
  test('group_threshold 3: one request once 3 alerts are held, and none before', async (t) => {
    const rx = await startReceiver(t);
    const { d } = dispatcher(t, [httpNotifier(rx.url, 'group_threshold: 3')]);
    d.enqueue('http_default', [alert(1)]);
    d.enqueue('http_default', [alert(2)]);
    assert.equal(d.stats().queued, 2);
    d.enqueue('http_default', [alert(3)]);
    // the first request holds all three: the first two were not sent on their own
    const [req] = await rx.waitFor(1);
    assert.deepEqual(JSON.parse(req!.body), [alert(1), alert(2), alert(3)]);
    // and nothing is left to send
    await waitUntil(() => d.stats().sent === 1);
    assert.deepEqual([rx.requests.length, d.stats().queued], [1, 0]);
  });

  test('group_threshold caps a message: 7 alerts are 3 + 3, and the last one goes out at close', async (t) => {
    const rx = await startReceiver(t);
    const { d } = dispatcher(t, [httpNotifier(rx.url, 'group_threshold: 3')]);
    d.enqueue('http_default', [1, 2, 3, 4, 5, 6, 7].map(alert));
    await waitUntil(() => d.stats().sent === 2);
    // the seventh is held: below the threshold, with no group_wait to end the wait
    assert.equal(rx.requests.length, 2);
    assert.equal(d.stats().queued, 1);
    await d.close();
    assert.deepEqual(
      rx.requests.map((r) => (JSON.parse(r.body) as unknown[]).length),
      [3, 3, 1],
    );
    assert.deepEqual(d.stats(), { sent: 3, failed: 0, retried: 0, dropped: 0, queued: 0 });
  });

  test('group_wait 200ms: alerts arriving meanwhile go out together when it elapses', async (t) => {
    const rx = await startReceiver(t);
    const { d } = dispatcher(t, [httpNotifier(rx.url, 'group_wait: 200ms')]);
    const start = Date.now();
    d.enqueue('http_default', [alert(1)]);
    await pause(50); // the scenario: more alerts arrive during the group_wait
    d.enqueue('http_default', [alert(2), alert(3)]);
    assert.equal(rx.requests.length, 0);
    const [req] = await rx.waitFor(1);
    assert.ok(Date.now() - start >= 190, `sent after ${Date.now() - start} ms`);
    assert.deepEqual(JSON.parse(req!.body), [alert(1), alert(2), alert(3)]);
    // The next alert waits a group_wait of its own.
    const next = Date.now();
    d.enqueue('http_default', [alert(4)]);
    await rx.waitFor(2);
    assert.ok(Date.now() - next >= 190, `sent after ${Date.now() - next} ms`);
    assert.deepEqual(JSON.parse(rx.requests[1]!.body), [alert(4)]);
  });

  test('without grouping, each alert is its own message (as upstream chunks by 1)', async (t) => {
    const rx = await startReceiver(t);
    const { d } = dispatcher(t, [httpNotifier(rx.url)]);
    d.enqueue('http_default', [alert(1), alert(2), alert(3)]);
    await rx.waitFor(3);
    assert.deepEqual(
      rx.requests.map((r) => JSON.parse(r.body)),
      [[alert(1)], [alert(2)], [alert(3)]],
    );
  });
});

describe('notify: retries', () => {
  test('500, 500, then 200: delivered once, retried twice, with the same body', async (t) => {
    const rx = await startReceiver(t, (n) => ({ status: n < 2 ? 500 : 200 }));
    const { d, logger } = dispatcher(t, [httpNotifier(rx.url, 'max_retry: 2')]);
    d.enqueue('http_default', [alert()]);
    await rx.waitFor(3);
    await waitUntil(() => d.stats().sent === 1);
    assert.deepEqual(d.stats(), { sent: 1, failed: 0, retried: 2, dropped: 0, queued: 0 });
    assert.equal(new Set(rx.requests.map((r) => r.body)).size, 1);
    assert.deepEqual(
      logger.entries.filter((e) => e.level === 'warn').map((e) => [e.msg, e.obj.status, e.obj.attempt]),
      [
        ['notification failed, retrying', 500, 1],
        ['notification failed, retrying', 500, 2],
      ],
    );
  });

  test('always 503: max_retry + 1 attempts, then failed', async (t) => {
    const rx = await startReceiver(t, () => ({ status: 503 }));
    const { d, logger } = dispatcher(t, [httpNotifier(rx.url, 'max_retry: 2')]);
    d.enqueue('http_default', [alert()]);
    await waitUntil(() => d.stats().failed === 1);
    assert.equal(rx.requests.length, 3);
    assert.deepEqual(d.stats(), { sent: 0, failed: 1, retried: 2, dropped: 0, queued: 0 });
    const error = logger.entries.find((e) => e.level === 'error')!;
    assert.deepEqual([error.msg, error.obj.notifier, error.obj.status, error.obj.attempt], ['notification failed', 'http_default', 503, 3]);
  });

  test('a 4xx is not retried; a 429 is', async (t) => {
    const rx = await startReceiver(t, (n) => ({ status: [429, 400][n] ?? 200 }));
    const { d } = dispatcher(t, [httpNotifier(rx.url, 'max_retry: 5')]);
    d.enqueue('http_default', [alert()]);
    await waitUntil(() => d.stats().failed === 1);
    // failed is final: the 400 was the last attempt
    assert.equal(rx.requests.length, 2);
    assert.deepEqual(d.stats(), { sent: 0, failed: 1, retried: 1, dropped: 0, queued: 0 });
  });

  test('a timeout is retried', async (t) => {
    const rx = await startReceiver(t, (n) => ({ status: 200, delayMs: n === 0 ? 1000 : 0 }));
    const { d, logger } = dispatcher(t, [httpNotifier(rx.url, 'timeout: 100ms')]);
    d.enqueue('http_default', [alert()]);
    await waitUntil(() => d.stats().sent === 1);
    assert.deepEqual(d.stats(), { sent: 1, failed: 0, retried: 1, dropped: 0, queued: 0 });
    assert.equal((logger.entries.find((e) => e.level === 'warn')!.obj.err as Error).message, 'timeout after 100 ms');
  });

  test('exponential backoff: base, then twice the base', async (t) => {
    const times: number[] = [];
    const rx = await startReceiver(t, (n) => {
      times.push(Date.now());
      return { status: n < 2 ? 502 : 200 };
    });
    const { d } = dispatcher(t, [httpNotifier(rx.url, 'max_retry: 3')], { backoffBaseMs: 60, backoffCapMs: 1000 });
    d.enqueue('http_default', [alert()]);
    await waitUntil(() => d.stats().sent === 1);
    const [a, b, c] = times;
    assert.ok(b! - a! >= 55 && b! - a! < 500, `first pause ${b! - a!} ms`);
    assert.ok(c! - b! >= 115 && c! - b! < 600, `second pause ${c! - b!} ms`);
  });

  test('log_level error hides a notifier’s retry warnings', async (t) => {
    const rx = await startReceiver(t, (n) => ({ status: n === 0 ? 500 : 200 }));
    const { d, logger } = dispatcher(t, [httpNotifier(rx.url, 'log_level: error')]);
    d.enqueue('http_default', [alert()]);
    await waitUntil(() => d.stats().sent === 1);
    assert.equal(d.stats().retried, 1);
    assert.deepEqual(logger.entries, []);
  });
});

describe('notify: transports', () => {
  test('unix_socket: the request goes through the socket', async (t) => {
    const dir = tempDir(t, 'lapis-notify-');
    const socket = join(dir, 'hook.sock');
    const bodies: string[] = [];
    const server = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        bodies.push(`${req.headers.host} ${req.url} ${body}`);
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    t.after(() => new Promise((resolve) => server.close(resolve)));
    const { d } = dispatcher(t, [httpNotifier('http://hooks.local/in', `unix_socket: ${socket}\nformat: '{{len .}}'`)]);
    d.enqueue('http_default', [alert()]);
    await waitUntil(() => bodies.length === 1);
    assert.deepEqual(bodies, ['hooks.local /in 1']);
  });

  /** An HTTPS receiver with a fresh self-signed certificate for 127.0.0.1; returns its URL and CA path. */
  async function tlsReceiver(t: TestContext, got: string[]): Promise<{ url: string; ca: string }> {
    const dir = tempDir(t, 'lapis-notify-tls-');
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const server = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      req.resume();
      req.on('end', () => {
        got.push(req.url ?? '');
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    });
    return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/tls`, ca: cert };
  }

  test('https: a self-signed receiver fails verification, passes with skip_tls_verification or ca_cert_path', {
    skip: !hasOpenssl && 'no openssl',
  }, async (t) => {
    const got: string[] = [];
    const { url, ca } = await tlsReceiver(t, got);
    const yaml = (name: string, extra: string) => `type: http\nname: ${name}\nurl: ${url}?${name}\nformat: x\nmax_retry: 0\n${extra}`;
    const configs = parseNotifiers(
      [yaml('strict', ''), yaml('skip', 'skip_tls_verification: true'), yaml('ca', `ca_cert_path: ${ca}`)].join('\n---\n'),
      'tls.yaml',
      { env: {} },
    );
    const { d, logger } = dispatcher(t, configs);
    for (const name of ['strict', 'skip', 'ca']) d.enqueue(name, [alert()]);
    await waitUntil(() => d.stats().sent + d.stats().failed === 3);
    assert.deepEqual([d.stats('strict').failed, d.stats('skip').sent, d.stats('ca').sent], [1, 1, 1]);
    assert.deepEqual(got.sort(), ['/tls?ca', '/tls?skip']);
    assert.equal(
      (logger.entries.find((e) => e.obj.notifier === 'strict')!.obj.err as NodeJS.ErrnoException).code,
      'DEPTH_ZERO_SELF_SIGNED_CERT',
    );
  });
});
