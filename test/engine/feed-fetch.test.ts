import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { InvalidValueError } from '../../src/errors.js';
import { FeedError, fetchFeed, validateFeedUrl, type FeedFetch } from '../../src/engine/feed-fetch.js';
import { conditionalFeed, startFeedServer } from '../helpers/feed-server.js';

const OPTS = { maxBytes: 1024, timeoutMs: 5000, userAgent: 'lapis-test/1' };
const NONE = { etag: null, lastModified: null };
const LAST_MODIFIED = 'Thu, 01 Jan 2026 00:00:00 GMT';

async function fetchError(p: Promise<FeedFetch>): Promise<FeedError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof FeedError, `not a FeedError: ${String(err)}`);
    return err;
  }
  assert.fail('the fetch succeeded');
}

test('validateFeedUrl: http and https only, with a message naming the value', () => {
  assert.equal(validateFeedUrl('https://example.com/list.txt').href, 'https://example.com/list.txt');
  assert.equal(validateFeedUrl('http://127.0.0.1:8080/x').protocol, 'http:');
  for (const [text, msg] of [
    ['ftp://x', "feed url must be http or https: 'ftp://x'"],
    ['file:///etc/passwd', "feed url must be http or https: 'file:///etc/passwd'"],
    ['not a url', "feed url is not a valid URL: 'not a url'"],
  ] as const) {
    assert.throws(
      () => validateFeedUrl(text),
      (err) => err instanceof InvalidValueError && err.message === msg && err.field === 'url',
    );
  }
});

test('fetchFeed refuses a URL validateFeedUrl refuses', async () => {
  const err = await fetchError(fetchFeed('file:///etc/passwd', NONE, OPTS));
  assert.equal(err.kind, 'invalid-url');
  assert.equal(err.message, "feed url must be http or https: 'file:///etc/passwd'");
});

test('200 with an ETag and Last-Modified; our User-Agent and Accept-Encoding sent, no conditional headers', async (t) => {
  const srv = await startFeedServer(
    t,
    conditionalFeed(() => ({ body: '1.2.3.4\n', etag: '"v1"', lastModified: LAST_MODIFIED })),
  );
  const got = await fetchFeed(`${srv.origin}/list.txt`, NONE, OPTS);
  assert.deepEqual(got, { kind: 'content', text: '1.2.3.4\n', etag: '"v1"', lastModified: LAST_MODIFIED });
  const h = srv.requests[0]!.headers;
  assert.equal(h['user-agent'], 'lapis-test/1');
  assert.equal(h['accept-encoding'], 'gzip');
  assert.equal(h['if-none-match'], undefined);
  assert.equal(h['if-modified-since'], undefined);
});

test('304 on If-None-Match', async (t) => {
  const srv = await startFeedServer(
    t,
    conditionalFeed(() => ({ body: '1.2.3.4\n', etag: '"v1"', lastModified: LAST_MODIFIED })),
  );
  const got = await fetchFeed(`${srv.origin}/`, { etag: '"v1"', lastModified: LAST_MODIFIED }, OPTS);
  assert.equal(got.kind, 'not-modified');
  assert.equal(srv.requests[0]!.headers['if-none-match'], '"v1"');
  assert.equal(srv.requests[0]!.headers['if-modified-since'], LAST_MODIFIED);
  // another ETag: the whole feed again
  const changed = await fetchFeed(`${srv.origin}/`, { etag: '"v0"', lastModified: null }, OPTS);
  assert.equal(changed.kind, 'content');
});

test('304 on If-Modified-Since alone', async (t) => {
  const srv = await startFeedServer(t, (req, res) => {
    if (req.headers['if-modified-since'] === LAST_MODIFIED) res.writeHead(304).end();
    else res.writeHead(200, { 'last-modified': LAST_MODIFIED }).end('5.6.7.8\n');
  });
  const first = await fetchFeed(`${srv.origin}/`, NONE, OPTS);
  assert.deepEqual(first, { kind: 'content', text: '5.6.7.8\n', etag: null, lastModified: LAST_MODIFIED });
  const second = await fetchFeed(`${srv.origin}/`, { etag: null, lastModified: LAST_MODIFIED }, OPTS);
  assert.deepEqual(second, { kind: 'not-modified', etag: null, lastModified: null });
});

test('a 304 to a request that was not conditional is an error', async (t) => {
  const srv = await startFeedServer(t, (_req, res) => res.writeHead(304).end());
  const err = await fetchError(fetchFeed(`${srv.origin}/f`, NONE, OPTS));
  assert.equal(err.message, `HTTP 304 from ${srv.origin}/f`);
});

test('503: `HTTP 503 from <url>`, credentials and query left out of the message', async (t) => {
  const srv = await startFeedServer(t, (_req, res) => res.writeHead(503).end('busy'));
  const err = await fetchError(fetchFeed(`${srv.origin.replace('//', '//user:secret@')}/list.txt?key=abc`, NONE, OPTS));
  assert.equal(err.kind, 'http-status');
  assert.equal(err.message, `HTTP 503 from ${srv.origin}/list.txt?…`);
});

test('timeout: a server that never answers', async (t) => {
  const srv = await startFeedServer(t, () => undefined);
  const err = await fetchError(fetchFeed(`${srv.origin}/`, NONE, { ...OPTS, timeoutMs: 150 }));
  assert.equal(err.kind, 'timeout');
  assert.equal(err.message, 'timed out after 150ms');
});

test('timeout: a body that stops halfway', async (t) => {
  const srv = await startFeedServer(t, (_req, res) => {
    res.writeHead(200);
    res.write('1.2.3.4\n');
  });
  const err = await fetchError(fetchFeed(`${srv.origin}/`, NONE, { ...OPTS, timeoutMs: 150 }));
  assert.equal(err.message, 'timed out after 150ms');
});

test('oversize: a streamed body is cut as soon as it passes maxBytes', async (t) => {
  let sent = 0;
  let closed = false;
  const srv = await startFeedServer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.on('close', () => (closed = true));
    // an endless feed: a chunk every tick until the client goes away
    const more = () => {
      if (closed) return;
      sent += 512;
      res.write(`${'10.0.0.1\n'.repeat(64)}`.slice(0, 512));
      setTimeout(more, 1);
    };
    more();
  });
  const err = await fetchError(fetchFeed(`${srv.origin}/`, NONE, { ...OPTS, maxBytes: 4096 }));
  assert.equal(err.kind, 'too-large');
  assert.equal(err.message, 'feed larger than 4 KiB');
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(sent < 64 * 1024, `the server sent ${sent} bytes`);
});

test('oversize: a Content-Length past the cap is refused before the body', async (t) => {
  const srv = await startFeedServer(t, (_req, res) => res.writeHead(200, { 'content-length': 2048 }).end('x'.repeat(2048)));
  const err = await fetchError(fetchFeed(`${srv.origin}/`, NONE, OPTS));
  assert.equal(err.message, 'feed larger than 1 KiB');
  const bytes = await fetchError(fetchFeed(`${srv.origin}/`, NONE, { ...OPTS, maxBytes: 1000 }));
  assert.equal(bytes.message, 'feed larger than 1000 bytes');
  // 33 MiB announced, never sent
  srv.handler = (_req, res) => {
    res.writeHead(200, { 'content-length': 33 * 1024 * 1024 });
    res.flushHeaders();
  };
  const mib = await fetchError(fetchFeed(`${srv.origin}/`, NONE, { ...OPTS, maxBytes: 32 * 1024 * 1024 }));
  assert.equal(mib.message, 'feed larger than 32 MiB');
});

test('gzip: decoded, and the cap counts decoded bytes', async (t) => {
  const body = '192.0.2.1\n'.repeat(90); // 900 bytes, compressing to a few dozen
  const srv = await startFeedServer(t, (_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(body)));
  const got = await fetchFeed(`${srv.origin}/`, NONE, OPTS);
  assert.equal(got.kind === 'content' && got.text, body);
  const err = await fetchError(fetchFeed(`${srv.origin}/`, NONE, { ...OPTS, maxBytes: 500 }));
  assert.equal(err.message, 'feed larger than 500 bytes');
});

test('redirects to http are followed (relative ones too), with the conditional headers', async (t) => {
  const target = await startFeedServer(
    t,
    conditionalFeed(() => ({ body: '1.2.3.4\n', etag: '"t"', lastModified: LAST_MODIFIED })),
  );
  const srv = await startFeedServer(t, (req, res) => {
    if (req.url === '/a') res.writeHead(301, { location: '/b' }).end();
    else res.writeHead(302, { location: `${target.origin}/list` }).end();
  });
  const got = await fetchFeed(`${srv.origin}/a`, NONE, OPTS);
  assert.deepEqual(got, { kind: 'content', text: '1.2.3.4\n', etag: '"t"', lastModified: LAST_MODIFIED });
  assert.deepEqual(
    srv.requests.map((r) => r.path),
    ['/a', '/b'],
  );
  const again = await fetchFeed(`${srv.origin}/a`, { etag: '"t"', lastModified: null }, OPTS);
  assert.equal(again.kind, 'not-modified');
});

test('redirects to file: or ftp: are refused; more than 5 hops too', async (t) => {
  for (const location of ['file:///etc/passwd', 'ftp://example.com/list']) {
    const srv = await startFeedServer(t, (_req, res) => res.writeHead(302, { location }).end());
    const err = await fetchError(fetchFeed(`${srv.origin}/x`, NONE, OPTS));
    assert.equal(err.kind, 'redirect');
    assert.equal(err.message, `redirect to a non-http(s) URL from ${srv.origin}/x`);
  }
  const loop = await startFeedServer(t, (req, res) => res.writeHead(302, { location: `${req.url}x` }).end());
  const err = await fetchError(fetchFeed(`${loop.origin}/`, NONE, OPTS));
  assert.equal(err.message, `more than 5 redirects from ${loop.origin}/`);
  assert.equal(loop.requests.length, 6);
});

test('connection refused', async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  const err = await fetchError(fetchFeed(`http://127.0.0.1:${port}/`, NONE, OPTS));
  assert.equal(err.kind, 'network');
  assert.equal(err.message, `connection refused (connect ECONNREFUSED 127.0.0.1:${port})`);
});

test('an abort signal ends the fetch with kind aborted', async (t) => {
  const srv = await startFeedServer(t, () => undefined);
  const ac = new AbortController();
  const p = fetchFeed(`${srv.origin}/`, NONE, { ...OPTS, signal: ac.signal });
  setTimeout(() => ac.abort(), 20);
  const err = await fetchError(p);
  assert.equal(err.kind, 'aborted');
});

test('credentials in the URL go as Basic auth to the feed origin, not across a redirect', async (t) => {
  const other = await startFeedServer(t, (_req, res) => res.end('1.2.3.4\n'));
  const srv = await startFeedServer(t, (req, res) => {
    if (req.url === '/a') res.writeHead(302, { location: '/b' }).end();
    else res.writeHead(302, { location: `${other.origin}/c` }).end();
  });
  const got = await fetchFeed(`${srv.origin.replace('//', '//us%40er:p%3Ass@')}/a`, NONE, OPTS);
  assert.equal(got.kind, 'content');
  const basic = `Basic ${Buffer.from('us@er:p:ss').toString('base64')}`;
  assert.deepEqual(
    srv.requests.map((r) => r.headers.authorization),
    [basic, basic],
  );
  assert.equal(other.requests[0]!.headers.authorization, undefined);
});
