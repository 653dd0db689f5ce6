import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { addBouncer } from '../helpers/actors.js';
import { parseRaw, rawConnect, readAnswer } from '../helpers/raw-http.js';
import { startTestServer } from '../helpers/server.js';
import { buildTestApp } from '../helpers/app.js';

// Issue 11 §6: slow clients are cut, and a crowd of them keeps neither /health nor a bouncer waiting.

const LIMITS = '    limits:\n      read_header_timeout: 1s\n      read_timeout: 2s\n      idle_timeout: 2s\n      max_connections: 100\n';

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

test('headers sent a byte at a time are cut after read_header_timeout; a body at 1 B/s after read_timeout', async (t) => {
  const server = await startTestServer(t, LIMITS);
  const slowHeaders = await rawConnect(server.url);
  t.after(() => slowHeaders.destroy());
  const trickle = setInterval(() => slowHeaders.writable && slowHeaders.write('X'), 200);
  t.after(() => clearInterval(trickle));
  slowHeaders.write('GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
  const cut = await timed(() => readAnswer(slowHeaders, { timeoutMs: 6000 }));
  assert.notEqual(cut.value.ended, 'open', 'the server closed it');
  assert.equal(parseRaw(cut.value.text).status, 408);
  assert.equal(parseRaw(cut.value.text).body, '{"message":"request not received in time"}');
  assert.equal(parseRaw(cut.value.text).headers.connection, 'close');
  assert.ok(cut.ms < 3000, `cut after ${cut.ms} ms`);

  const slowBody = await rawConnect(server.url);
  t.after(() => slowBody.destroy());
  slowBody.write('POST /v1/watchers HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{');
  const drip = setInterval(() => slowBody.writable && slowBody.write(' '), 500);
  t.after(() => clearInterval(drip));
  const bodyCut = await timed(() => readAnswer(slowBody, { timeoutMs: 8000 }));
  assert.notEqual(bodyCut.value.ended, 'open');
  assert.equal(parseRaw(bodyCut.value.text).status, 408);
  assert.ok(bodyCut.ms < 4500, `cut after ${bodyCut.ms} ms`);
  assert.equal((await fetch(`${server.url}/health`)).status, 200);
});

test('a thousand slowloris connections past the cap: /health and a bouncer answer within a second; open sockets stay bounded', async (t) => {
  // a bouncer key in the same database: the test server's, through its own store handle
  const server = await startTestServer(t, LIMITS);
  const ta = { db: server.db } as Parameters<typeof addBouncer>[0];
  const key = await addBouncer(ta, 'fw');
  const sockets: Socket[] = [];
  t.after(() => {
    for (const s of sockets) s.destroy();
  });
  for (let i = 0; i < 1000; i++) {
    const s = await rawConnect(server.url).catch(() => undefined);
    if (!s) continue;
    s.on('error', () => undefined);
    s.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    sockets.push(s);
  }
  const open = await new Promise<number>((resolve, reject) =>
    server.app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
  );
  assert.ok(open <= 101, `${open} connections open`);
  for (let i = 0; i < 5; i++) {
    const health = await timed(() => fetch(`${server.url}/health`));
    assert.equal(health.value.status, 200);
    assert.ok(health.ms < 1000, `/health took ${health.ms} ms`);
    const query = await timed(() =>
      fetch(`${server.url}/v1/decisions?ip=192.0.2.1`, {
        headers: { 'x-api-key': key, 'user-agent': 'crowdsec-firewall-bouncer/v0.0.31' },
      }),
    );
    assert.equal(query.value.status, 200);
    assert.equal(await query.value.text(), 'null');
    assert.ok(query.ms < 1000, `a bouncer query took ${query.ms} ms`);
  }
});

test('limits: bad values are refused with their key', async (t) => {
  await assert.rejects(
    buildTestApp(t, { yaml: 'api:\n  server:\n    limits:\n      read_timeout: soon\n' }),
    /api\.server\.limits\.read_timeout/,
  );
  await assert.rejects(
    buildTestApp(t, { yaml: 'api:\n  server:\n    limits:\n      idle_timeout: 0s\n' }),
    /api\.server\.limits\.idle_timeout: must be a positive duration/,
  );
  await assert.rejects(
    buildTestApp(t, { yaml: 'api:\n  server:\n    limits:\n      max_connections: -1\n' }),
    /api\.server\.limits\.max_connections/,
  );
});

test('shutdown is not held by connections still sending their headers', async (t) => {
  const server = await startTestServer(t, LIMITS);
  const sockets: Socket[] = [];
  t.after(() => {
    for (const s of sockets) s.destroy();
  });
  for (let i = 0; i < 50; i++) {
    const s = await rawConnect(server.url);
    s.on('error', () => undefined);
    s.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    sockets.push(s);
  }
  const closed = await timed(() => server.close());
  assert.ok(closed.ms < 2000, `close took ${closed.ms} ms`);
});

test('a request node cannot parse gets a 400 {"message"} and its connection closed', async (t) => {
  const server = await startTestServer(t, LIMITS);
  for (const head of [
    'GET /health?\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n',
    'HEAD /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
    'NOT HTTP AT ALL\r\n\r\n',
  ]) {
    const s = await rawConnect(server.url);
    t.after(() => s.destroy());
    const answer = readAnswer(s, { timeoutMs: 3000 });
    s.write(Buffer.from(head, 'latin1'));
    const got = await answer;
    const res = parseRaw(got.text);
    assert.equal(res.status, 400, head);
    assert.equal(res.headers.connection, 'close', head);
    assert.equal(res.body, '{"message":"malformed request"}', head);
    assert.notEqual(got.ended, 'open', head);
  }
  assert.equal((await fetch(`${server.url}/health`)).status, 200);
});
