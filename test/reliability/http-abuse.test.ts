import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { closeAgent, send, Tally } from './fuzz/client.js';
import { login } from './fuzz/known.js';
import { rawExchange, type RawResult } from './fuzz/raw.js';
import { startTarget } from './fuzz/target.js';

/**
 * HTTP abuse over raw sockets (node:net) against a real `lapis serve` child: framing conflicts, bad
 * chunks, stacked and unknown encodings, gzip bombs, oversized headers, invalid UTF-8, HTTP/1.0,
 * pipelining, garbage request lines, then random request heads (fast-check, LAPIS_FUZZ_SEED and
 * LAPIS_FUZZ_RUNS as in fuzz.test.ts). Every case: no answer ≥ 500, the expected answer, and after it
 * the server still answers /health and runs. Over-cap plain bodies get their 413 on a connection that is
 * not reset under the client (src/api/body.ts throws the rest away).
 */
interface Case {
  name: string;
  chunks: (string | Buffer)[];
  /** The statuses expected, in order; `[]` when the server may only close the connection. */
  expect: number[];
  head?: boolean;
  waitMs?: number;
  todo?: string;
}

const H = 'Host: 127.0.0.1\r\nUser-Agent: crowdsec/v1.7.8-linux\r\n';
const CLOSE = 'Connection: close\r\n';
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const login400 = { machine_id: 'nobody', password: 'x' };

/** `bytes` of zeros, gzipped: a few KiB on the wire that inflate far past every cap. */
function bomb(bytes: number): Buffer {
  return gzipSync(Buffer.alloc(bytes), { level: 9 });
}

function post(path: string, headers: string, body: Buffer | string): Buffer {
  return Buffer.concat([
    Buffer.from(`POST ${path} HTTP/1.1\r\n${H}${CLOSE}${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`),
    Buffer.from(body),
  ]);
}

function cases(token: string): Case[] {
  const auth = `Authorization: Bearer ${token}\r\n`;
  const alerts = json([]);
  const gz = bomb(64 * 1024 * 1024);
  return [
    {
      name: 'Content-Length and Transfer-Encoding together',
      chunks: [`POST /v1/watchers/login HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{}{}\r\n0\r\n\r\n`],
      expect: [400],
    },
    {
      name: 'two different Content-Lengths',
      chunks: [`POST /v1/watchers/login HTTP/1.1\r\n${H}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{} `],
      expect: [400],
    },
    {
      name: 'two equal Content-Lengths',
      chunks: [`POST /v1/watchers/login HTTP/1.1\r\n${H}Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}`],
      expect: [400],
    },
    { name: 'a negative Content-Length', chunks: [`POST /v1/watchers/login HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n{}`], expect: [400] },
    {
      name: 'a Content-Length past 2^64',
      chunks: [`POST /v1/watchers/login HTTP/1.1\r\n${H}Content-Length: 99999999999999999999999\r\n\r\n{}`],
      expect: [400],
    },
    { name: 'a space before the colon', chunks: [`POST /v1/watchers/login HTTP/1.1\r\n${H}Content-Length : 2\r\n\r\n{}`], expect: [400] },
    {
      name: 'a chunk size that is not hex',
      chunks: [`POST /v1/watchers/login HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
      expect: [400],
    },
    {
      name: 'a chunk size past 2^64',
      chunks: [`POST /v1/watchers/login HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n{}\r\n0\r\n\r\n`],
      expect: [400],
    },
    {
      name: 'a chunk longer than its size',
      chunks: [`POST /v1/watchers/login HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\r\n{}\r\n0\r\n\r\n`],
      expect: [400],
    },
    // node de-chunks and leaves the gzip transfer-coding alone: the body is `{}`, a login without fields
    {
      name: 'Transfer-Encoding gzip, chunked',
      chunks: [`POST /v1/watchers/login HTTP/1.1\r\n${H}${CLOSE}Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`],
      expect: [401],
    },
    {
      name: 'Transfer-Encoding chunked, gzip',
      chunks: [`POST /v1/watchers/login HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n2\r\n{}\r\n0\r\n\r\n`],
      expect: [400],
    },
    {
      name: 'Content-Encoding gzip, gzip',
      chunks: [post('/v1/watchers/login', 'Content-Encoding: gzip, gzip\r\n', gzipSync(gzipSync(json(login400))))],
      expect: [401],
    },
    {
      name: 'Content-Encoding gzip,gzip',
      chunks: [post('/v1/alerts', `${auth}Content-Encoding: gzip,gzip\r\n`, gzipSync(gzipSync(alerts)))],
      expect: [400],
    },
    {
      name: 'two Content-Encoding headers',
      chunks: [post('/v1/alerts', `${auth}Content-Encoding: gzip\r\nContent-Encoding: gzip\r\n`, gzipSync(gzipSync(alerts)))],
      expect: [400],
    },
    { name: 'Content-Encoding br', chunks: [post('/v1/watchers/login', 'Content-Encoding: br\r\n', 'xx')], expect: [401] },
    { name: 'an unknown Content-Encoding', chunks: [post('/v1/alerts', `${auth}Content-Encoding: lapis\r\n`, alerts)], expect: [400] },
    {
      name: 'Content-Encoding gzip on a plain body',
      chunks: [post('/v1/alerts', `${auth}Content-Encoding: gzip\r\n`, alerts)],
      expect: [400],
    },
    {
      name: 'a truncated gzip body',
      chunks: [post('/v1/alerts', `${auth}Content-Encoding: gzip\r\n`, gzipSync(alerts).subarray(0, 10))],
      expect: [400],
    },
    {
      name: 'a gzip bomb to the login, unauthenticated',
      chunks: [post('/v1/watchers/login', 'Content-Encoding: gzip\r\n', gz)],
      expect: [413],
      waitMs: 20_000,
    },
    {
      name: 'a gzip bomb to /v1/alerts',
      chunks: [post('/v1/alerts', `${auth}Content-Encoding: gzip\r\n`, gz)],
      expect: [413],
      waitMs: 20_000,
    },
    {
      name: 'a gzip bomb to /v1/alerts without a token',
      chunks: [post('/v1/alerts', 'Content-Encoding: gzip\r\n', gz)],
      expect: [401],
      waitMs: 20_000,
    },
    {
      name: 'a plain body over the login cap',
      chunks: [post('/v1/watchers/login', '', Buffer.alloc(3 * 1024 * 1024, 0x20))],
      expect: [413],
      waitMs: 20_000,
    },
    {
      name: 'a plain body over the alerts cap',
      chunks: [post('/v1/alerts', auth, Buffer.alloc(11 * 1024 * 1024, 0x20))],
      expect: [413],
      waitMs: 20_000,
    },
    { name: 'a 32 KiB header', chunks: [`GET /health HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(32 * 1024)}\r\n\r\n`], expect: [431] },
    {
      name: '3,000 headers',
      chunks: [`GET /health HTTP/1.1\r\n${H}${CLOSE}${Array.from({ length: 3000 }, (_, i) => `X-${i}: 1\r\n`).join('')}\r\n`],
      expect: [431],
    },
    { name: 'a 20 KiB URL', chunks: [`GET /v1/decisions?ip=${'1'.repeat(20 * 1024)} HTTP/1.1\r\n${H}\r\n`], expect: [431] },
    {
      name: 'invalid UTF-8 in a JSON body',
      chunks: [
        post(
          '/v1/watchers/login',
          '',
          Buffer.concat([Buffer.from('{"machine_id":"'), Buffer.from([0xff, 0xfe, 0xc0, 0xaf]), Buffer.from('","password":"x"}')]),
        ),
      ],
      expect: [401],
    },
    {
      name: 'invalid UTF-8 in an alert',
      chunks: [
        post('/v1/alerts', auth, Buffer.concat([Buffer.from('[{"scenario":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}]')])),
      ],
      expect: [400],
    },
    {
      name: 'raw bytes past ASCII in the URL',
      chunks: [
        Buffer.concat([Buffer.from('GET /v1/alerts/'), Buffer.from([0xff, 0xc0, 0xaf]), Buffer.from(` HTTP/1.1\r\n${H}${CLOSE}\r\n`)]),
      ],
      expect: [400],
    },
    {
      name: 'invalid UTF-8, percent-encoded, in a path',
      chunks: [`GET /v1/alerts/%ff%c0%af HTTP/1.1\r\n${H}${CLOSE}${auth}\r\n`],
      expect: [400],
    },
    {
      name: 'invalid UTF-8, percent-encoded, in a query',
      chunks: [`GET /v1/alerts?scenario=%ff%c0%af HTTP/1.1\r\n${H}${CLOSE}${auth}\r\n`],
      expect: [200],
    },
    { name: 'HTTP/1.0 without Host', chunks: ['GET /health HTTP/1.0\r\n\r\n'], expect: [200] },
    // node refuses a request body it cannot frame
    {
      name: 'HTTP/1.0 POST without Content-Length',
      chunks: ['POST /v1/watchers/login HTTP/1.0\r\nUser-Agent: crowdsec/v1\r\n\r\n{"machine_id":"a","password":"b"}'],
      expect: [400],
    },
    {
      name: 'three pipelined requests',
      chunks: [
        `GET /health HTTP/1.1\r\n${H}\r\n` +
          `POST /v1/watchers/login HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\n{}` +
          `GET /health HTTP/1.1\r\n${H}${CLOSE}\r\n`,
      ],
      expect: [200, 401, 200],
    },
    {
      name: 'pipelined requests split mid-header',
      chunks: [`GET /health HTTP/1.1\r\n${H}\r\nGET /hea`, `lth HTTP/1.1\r\n${H}${CLOSE}\r\n`],
      expect: [200, 200],
    },
    {
      name: 'Expect: 100-continue',
      chunks: [`POST /v1/watchers/login HTTP/1.1\r\n${H}${CLOSE}Expect: 100-continue\r\nContent-Length: 2\r\n\r\n{}`],
      expect: [100, 401],
    },
    { name: 'an unknown HTTP version', chunks: [`GET /health HTTP/9.9\r\n${H}\r\n`], expect: [400] },
    { name: 'a garbage request line', chunks: ['GARBAGE\r\n\r\n'], expect: [400] },
    { name: 'a method with no path', chunks: ['GET\r\n\r\n'], expect: [400] },
    {
      name: 'binary noise',
      chunks: [Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x00, 0xff, 0x0d, 0x0a, 0x0d, 0x0a])],
      expect: [400],
    },
    { name: 'NUL in a header value', chunks: [`GET /health HTTP/1.1\r\n${H}X-Nul: a\u0000b\r\n\r\n`], expect: [400] },
    { name: 'a bare LF line ending', chunks: [`GET /health HTTP/1.1\nHost: x\n${CLOSE}\n`], expect: [400] },
    // node takes the path of an absolute-form target
    { name: 'an absolute-form URL', chunks: [`GET http://127.0.0.1/health HTTP/1.1\r\n${H}${CLOSE}\r\n`], expect: [200] },
    { name: 'HEAD on a route with a body', chunks: [`HEAD /v1/alerts HTTP/1.1\r\n${H}${CLOSE}${auth}\r\n`], expect: [200], head: true },
    { name: 'a body on a GET', chunks: [`GET /health HTTP/1.1\r\n${H}${CLOSE}Content-Length: 5\r\n\r\nhello`], expect: [200] },
  ];
}

const SEED = Number(process.env.LAPIS_FUZZ_SEED ?? 20261201);
/** Random request heads: as many as the fuzz runs per route (at least 10). */
const RANDOM_RUNS = Math.max(10, Number(process.env.LAPIS_FUZZ_RUNS ?? 40));

/** A request head built from plausible and broken parts: method, target, version, header lines, line endings. */
const randomHead = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'HEAD', 'DELETE', 'PUT', 'get', 'G ET', '', 'PRI', '\u0000'),
    target: fc.oneof(
      fc.constantFrom('/health', '/v1/alerts', '/v1/decisions/stream', '*', '', '//', 'http://x/health', '/%', '/\u00ff'),
      fc.string({ unit: 'binary-ascii', maxLength: 30 }),
    ),
    version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 ', 'http/1.1', 'HTTP/', ''),
    headers: fc.array(
      fc.oneof(
        fc.constantFrom(
          'Host: x',
          'Content-Length: 2',
          'Content-Length: -5',
          'Transfer-Encoding: chunked',
          'Content-Encoding: gzip',
          'Expect: 100-continue',
          ': empty',
          'NoColon',
          ' folded: yes',
          'X-Api-Key: ',
          'Authorization: Bearer ',
        ),
        fc
          .tuple(fc.string({ unit: 'binary-ascii', maxLength: 12 }), fc.string({ unit: 'binary-ascii', maxLength: 40 }))
          .map(([k, v]) => `${k}: ${v}`),
      ),
      { maxLength: 6 },
    ),
    eol: fc.constantFrom('\r\n', '\n', '\r'),
    body: fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  })
  .map(({ method, target, version, headers, eol, body }) =>
    Buffer.from(`${method} ${target} ${version}${eol}${headers.join(eol)}${eol}Connection: close${eol}${eol}${body}`, 'latin1'),
  );

test('HTTP abuse on raw sockets: no 5xx, the expected refusal, and the server answers /health after each', {
  timeout: 10 * 60_000,
}, async (t) => {
  const target = await startTarget(t);
  t.after(closeAgent);
  const token = await login(target);
  const tally = new Tally();
  for (const c of cases(token)) {
    await t.test(c.name, c.todo ? { todo: c.todo } : {}, async () => {
      const r: RawResult = await rawExchange(target.lapi, c.chunks, { waitMs: c.waitMs, head: c.head });
      for (const s of r.statuses) tally.record(s);
      if (r.statuses.length === 0) tally.record(undefined);
      assert.ok(
        r.statuses.every((s) => s < 500),
        `${c.name}: ${r.statuses.join(',')} ${r.bodies.join(' | ').slice(0, 500)}`,
      );
      assert.deepEqual(r.statuses, c.expect, `${c.name}: ended ${r.end} after ${r.bytes} bytes: ${r.bodies.join(' | ').slice(0, 500)}`);
      const health = await send(target.lapi, { listener: 'lapi', method: 'GET', path: '/health', headers: {} });
      assert.equal(health.status, 200);
      assert.ok(target.alive(), 'the server process is still running');
    });
  }
  await t.test(`${RANDOM_RUNS} random request heads`, async () => {
    const property = fc.asyncProperty(randomHead, async (bytes) => {
      const r = await rawExchange(target.lapi, [bytes], { waitMs: 3000, halfClose: true });
      for (const s of r.statuses) tally.record(s);
      if (r.statuses.length === 0) tally.record(undefined);
      if (r.statuses.some((s) => s >= 500)) throw new Error(`${r.statuses.join(',')} for ${JSON.stringify(bytes.toString('latin1'))}`);
      const health = await send(target.lapi, { listener: 'lapi', method: 'GET', path: '/health', headers: {} });
      if (health.status !== 200 || !target.alive())
        throw new Error(`the server stopped answering after ${JSON.stringify(bytes.toString('latin1'))}`);
    });
    await fc.assert(property, { seed: SEED, numRuns: RANDOM_RUNS, endOnFailure: true });
  });
  const rss = target.peakRssKb();
  assert.equal(await target.stop(), 0, 'lapis serve closes cleanly on SIGTERM');
  tally.report('http-abuse', { engine: target.config.db.type, serverPeakRssKb: rss }, (s) => t.diagnostic(s));
});
