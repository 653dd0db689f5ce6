import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { FeedJob, type FeedSource, type FeedStore, type JobLease } from '../../src/engine/feed-job.js';
import { startFeedServer, type FeedServer } from '../helpers/feed-server.js';
import { waitUntil } from '../helpers/wait.js';
import type { After } from '../helpers/context.js';

/**
 * The FeedStore contract kept in memory: the job's interface, not one of Lapis's stores (whose own tests
 * run against real databases).
 */
class MemoryFeedStore implements FeedStore {
  readonly feeds = new Map<string, FeedSource & { values: string[]; error: string | null }>();
  readonly checks: { id: string; at: number; error: string | null }[] = [];

  add(id: string, url: string, refreshMs = 3_600_000): void {
    this.feeds.set(id, { id, name: id, url, refreshMs, etag: null, lastModified: null, checkedAt: null, values: [], error: null });
  }

  async dueFeeds(now: number): Promise<FeedSource[]> {
    return [...this.feeds.values()].filter((f) => f.checkedAt === null || f.checkedAt + f.refreshMs <= now).map((f) => ({ ...f }));
  }

  async replaceContent(id: string, values: string[], meta: { etag: string | null; lastModified: string | null; at: number }) {
    const f = this.feeds.get(id)!;
    const before = new Set(f.values);
    const after = new Set(values);
    const added = values.filter((v) => !before.has(v)).length;
    const removed = f.values.filter((v) => !after.has(v)).length;
    Object.assign(f, { values: [...values], etag: meta.etag, lastModified: meta.lastModified, checkedAt: meta.at, error: null });
    this.checks.push({ id, at: meta.at, error: null });
    return { added, removed };
  }

  async recordCheck(id: string, meta: { at: number; error: string | null; etag?: string | null; lastModified?: string | null }) {
    const f = this.feeds.get(id)!;
    f.checkedAt = meta.at;
    f.error = meta.error;
    if (meta.etag !== undefined) f.etag = meta.etag;
    if (meta.lastModified !== undefined) f.lastModified = meta.lastModified;
    this.checks.push({ id, at: meta.at, error: meta.error });
  }
}

/** A log whose lines the test reads: [level, msg]. */
function captureLog() {
  const lines: [number, string][] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push([JSON.parse(s).level, JSON.parse(s).msg]) });
  return { log, lines };
}

const FETCH = { maxBytes: 64 * 1024, timeoutMs: 2000, userAgent: 'lapis-test/1' };
const HOUR = 3_600_000;

/** A server whose feed body is `feed.body`; it answers 304 to the ETag of the body it serves (a hash-like of the text). */
async function feedServer(t: After): Promise<FeedServer & { feed: { body: string; status: number } }> {
  const feed = { body: '', status: 200 };
  const srv = await startFeedServer(t, (req, res) => {
    const etag = `"${Buffer.from(feed.body).toString('base64url').slice(-16)}-${feed.body.length}"`;
    if (feed.status !== 200) return void res.writeHead(feed.status).end('oops');
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    res.writeHead(200, { etag }).end(feed.body);
  });
  return Object.assign(srv, { feed });
}

test('FeedJob: the first fetch replaces, a 304 keeps and records, garbage keeps content and records the error, a later success clears it', async (t) => {
  const srv = await feedServer(t);
  const store = new MemoryFeedStore();
  store.add('firehol', `${srv.origin}/firehol.netset`, HOUR);
  const { log, lines } = captureLog();
  const job = new FeedJob({ store, fetch: FETCH, log });
  t.after(() => job.stop());
  const f = store.feeds.get('firehol')!;

  srv.feed.body = '# level1-like\n192.0.2.0/24\n198.51.100.7\n203.0.113.9/32\n';
  assert.deepEqual(await job.runOnce(1000), [{ id: 'firehol', kind: 'updated', added: 3, removed: 0, entries: 3, skippedLines: 0 }]);
  assert.deepEqual(f.values, ['192.0.2.0/24', '198.51.100.7', '203.0.113.9']);
  assert.match(f.etag!, /^".+"$/);
  assert.deepEqual(lines.at(-1), [30, "blocklist feed 'firehol': 3 added, 0 removed"]);

  // unchanged: a conditional GET, a 304, the check recorded
  const etag = f.etag;
  assert.deepEqual(await job.runOnce(1000 + HOUR), [{ id: 'firehol', kind: 'not-modified' }]);
  assert.equal(srv.requests.at(-1)!.headers['if-none-match'], etag);
  assert.equal(f.checkedAt, 1000 + HOUR);
  assert.equal(f.values.length, 3);

  // an HTML page with 200 and its own ETag: content kept, error recorded, the page's ETag not kept
  srv.feed.body = '<html>\n<body>\n<h1>Maintenance</h1>\n</body>\n</html>\n';
  const [garbage] = await job.runOnce(1000 + 2 * HOUR);
  const error = "feed returned no valid IP or CIDR (5 of 5 lines invalid, first at line 1: '<html>')";
  assert.deepEqual(garbage, { id: 'firehol', kind: 'failed', error });
  assert.equal(f.error, error);
  assert.equal(f.etag, etag);
  assert.equal(f.values.length, 3);
  assert.deepEqual(lines.at(-1), [40, `blocklist feed 'firehol': ${error}`]);

  // an HTTP error: the same
  srv.feed.status = 503;
  const [down] = await job.runOnce(1000 + 3 * HOUR);
  assert.deepEqual(down, { id: 'firehol', kind: 'failed', error: `HTTP 503 from ${srv.origin}/firehol.netset` });
  assert.equal(f.values.length, 3);

  // back: replaced, error cleared
  srv.feed.status = 200;
  srv.feed.body = '192.0.2.0/24\n2001:db8::/32 ; doc\n';
  const [back] = await job.runOnce(1000 + 4 * HOUR);
  assert.deepEqual(back, { id: 'firehol', kind: 'updated', added: 1, removed: 2, entries: 2, skippedLines: 0 });
  assert.deepEqual(f.values, ['192.0.2.0/24', '2001:db8::/32']);
  assert.equal(f.error, null);
  assert.deepEqual(lines.at(-1), [30, "blocklist feed 'firehol': 1 added, 2 removed"]);
});

test('FeedJob: a 304 after a failure clears the error', async (t) => {
  const srv = await feedServer(t);
  const store = new MemoryFeedStore();
  store.add('drop', `${srv.origin}/drop.txt`, 1000);
  const job = new FeedJob({ store, fetch: FETCH });
  t.after(() => job.stop());
  srv.feed.body = '1.10.16.0/20 ; SBL1\n';
  await job.runOnce(0);
  srv.feed.status = 500;
  await job.runOnce(1000);
  assert.equal(store.feeds.get('drop')!.error, `HTTP 500 from ${srv.origin}/drop.txt`);
  srv.feed.status = 200;
  assert.deepEqual(await job.runOnce(2000), [{ id: 'drop', kind: 'not-modified' }]);
  assert.equal(store.feeds.get('drop')!.error, null);
  assert.deepEqual(store.feeds.get('drop')!.values, ['1.10.16.0/20']);
});

test('FeedJob: feeds not due are skipped; due ones run one at a time', async (t) => {
  const srv = await feedServer(t);
  srv.feed.body = '192.0.2.1\n';
  const store = new MemoryFeedStore();
  store.add('hourly', `${srv.origin}/h`, HOUR);
  store.add('daily', `${srv.origin}/d`, 24 * HOUR);
  const job = new FeedJob({ store, fetch: FETCH });
  t.after(() => job.stop());
  assert.equal((await job.runOnce(0)).length, 2);
  assert.deepEqual(await job.runOnce(HOUR - 1), []);
  assert.deepEqual(
    (await job.runOnce(HOUR)).map((o) => o.id),
    ['hourly'],
  );
  assert.deepEqual(
    srv.requests.map((r) => r.path),
    ['/h', '/d', '/h'],
  );
});

test('FeedJob: more than maxEntries values, a few odd lines, an empty body', async (t) => {
  const srv = await feedServer(t);
  const store = new MemoryFeedStore();
  store.add('big', `${srv.origin}/big`, 1);
  const { log, lines } = captureLog();
  const job = new FeedJob({ store, fetch: FETCH, maxEntries: 5, log });
  t.after(() => job.stop());
  srv.feed.body = '10.0.0.1\n10.0.0.2\nodd\n';
  assert.deepEqual(await job.runOnce(10), [{ id: 'big', kind: 'updated', added: 2, removed: 0, entries: 2, skippedLines: 1 }]);
  assert.deepEqual(lines.at(-1), [40, "blocklist feed 'big': 1 invalid lines skipped (first at line 3)"]);
  srv.feed.body = Array.from({ length: 6 }, (_, i) => `10.0.1.${i}`).join('\n');
  assert.deepEqual(await job.runOnce(20), [{ id: 'big', kind: 'failed', error: 'feed has more than 5 entries' }]);
  srv.feed.body = '\n\n';
  assert.deepEqual(await job.runOnce(30), [{ id: 'big', kind: 'failed', error: 'feed is empty (no lines at all)' }]);
  // comments only: a valid, empty list
  srv.feed.body = '# nothing today\n';
  assert.deepEqual(await job.runOnce(40), [{ id: 'big', kind: 'updated', added: 0, removed: 2, entries: 0, skippedLines: 0 }]);
  assert.deepEqual(store.feeds.get('big')!.values, []);
});

test('FeedJob: a store failure on one feed is logged and the run goes on', async (t) => {
  const srv = await feedServer(t);
  srv.feed.body = '192.0.2.1\n';
  const store = new MemoryFeedStore();
  store.add('a', `${srv.origin}/a`);
  store.add('b', `${srv.origin}/b`);
  const replace = store.replaceContent.bind(store);
  store.replaceContent = async (id, values, meta) => {
    if (id === 'a') throw new Error('database is locked');
    return replace(id, values, meta);
  };
  const { log, lines } = captureLog();
  const job = new FeedJob({ store, fetch: FETCH, log });
  t.after(() => job.stop());
  assert.deepEqual(
    (await job.runOnce(0)).map((o) => o.id),
    ['b'],
  );
  assert.deepEqual(lines[0], [50, "blocklist feed 'a': could not record the check"]);
});

test('FeedJob: without the lease nothing runs; the lease is renewed before each feed and released at stop', async (t) => {
  const srv = await feedServer(t);
  srv.feed.body = '192.0.2.1\n';
  const store = new MemoryFeedStore();
  store.add('a', `${srv.origin}/a`);
  store.add('b', `${srv.origin}/b`);
  let held = false;
  let holds = 0;
  let released = 0;
  const lease: JobLease = {
    hold: async () => {
      holds++;
      return held;
    },
    release: async () => {
      released++;
    },
  };
  const job = new FeedJob({ store, fetch: FETCH, lease });
  assert.deepEqual(await job.runOnce(0), []);
  assert.equal(srv.requests.length, 0);
  held = true;
  holds = 0;
  assert.equal((await job.runOnce(0)).length, 2);
  assert.equal(holds, 3);
  await job.stop();
  assert.equal(released, 1);
});

test('FeedJob: start runs on the timer, ticks never overlap, stop aborts a fetch in flight without recording it', async (t) => {
  let answered = 0;
  const srv = await startFeedServer(t, (_req, res) => {
    // the first request hangs until the job stops; none after it may start meanwhile
    if (answered++ > 0) res.end('192.0.2.1\n');
  });
  const store = new MemoryFeedStore();
  store.add('slow', `${srv.origin}/slow`, 0);
  const job = new FeedJob({ store, fetch: { ...FETCH, timeoutMs: 10_000 }, tickMs: 10 });
  job.start();
  await waitUntil(() => srv.requests.length === 1, 2000, 'the first fetch');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(srv.requests.length, 1);
  await job.stop();
  assert.deepEqual(store.checks, []);
});
