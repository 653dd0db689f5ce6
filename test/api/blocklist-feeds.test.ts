import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FeedJob } from '../../src/engine/feed-job.js';
import { getBlocklist } from '../../src/store/blocklists.js';
import { liveItemCounts } from '../../src/store/blocklist-items.js';
import { organizationId } from '../../src/store/instance.js';
import { blocklistFeedStore } from '../../src/usecases/blocklist-feeds.js';
import { createBlocklist, subscribeBlocklist } from '../../src/usecases/blocklists.js';
import { addBouncer, bouncerGet } from '../helpers/actors.js';
import { buildTestApp } from '../helpers/app.js';
import { conditionalFeed, startFeedServer } from '../helpers/feed-server.js';

type Stream = { new: { value: string }[] | null; deleted: { value: string }[] | null };
const values = (l: { value: string }[] | null) => (l ?? []).map((d) => d.value).sort();

test('a list that follows a URL: replaced from the feed, 304 kept, garbage refused with the last good content kept, changes streamed as differences', async (t) => {
  const ta = await buildTestApp(t);
  const w = {
    db: ta.db,
    settle: async (c: 'decisions' | 'allowlists') => {
      if (c === 'allowlists') await ta.allowlists.refresh();
      await ta.feed.catchUp();
    },
  };
  let feed = { body: '# FireHOL-like\n192.0.2.0/24\n198.51.100.7\n', etag: '"v1"', lastModified: 'Sat, 05 Dec 2026 01:00:00 GMT' };
  const server = await startFeedServer(
    t,
    conditionalFeed(() => feed),
  );
  const list = await createBlocklist(w, {
    name: 'firehol_level1',
    label: 'FireHOL level 1',
    description: 'd',
    references: [],
    tags: [],
    feed: { url: `${server.origin}/firehol_level1.netset`, refreshMs: 60_000 },
  });
  await subscribeBlocklist(w, list.id, 'org', [], null, await organizationId(ta.db));
  const key = await addBouncer(ta, 'fw', 'key-of-fw-0123456789');
  const stream = async (startup = false) =>
    JSON.parse((await bouncerGet(ta, key, `/v1/decisions/stream${startup ? '?startup=true' : ''}`)).body) as Stream;
  await stream(true);

  const job = new FeedJob({ store: blocklistFeedStore(w), fetch: { maxBytes: 1 << 20, timeoutMs: 5000, userAgent: 'lapis-test' } });
  let now = Date.now();
  const [first] = await job.runOnce(now);
  assert.equal(first?.kind, 'updated');
  assert.deepEqual(values((await stream()).new), ['192.0.2.0/24', '198.51.100.7']);
  let state = (await getBlocklist(ta.db, list.id))!;
  assert.equal(state.feed?.etag, '"v1"');
  assert.equal(state.feed?.error, null);

  // not due yet: no request at all; due: a conditional request answered 304
  assert.deepEqual(await job.runOnce(now + 1000), []);
  now += 61_000;
  const [second] = await job.runOnce(now);
  assert.equal(second?.kind, 'not-modified');
  assert.equal(server.requests.at(-1)?.headers['if-none-match'], '"v1"');

  // an HTML error page with a 200: refused, the content stays, the error shows in the list's status
  feed = {
    body: '<!DOCTYPE html><html><body>Service unavailable</body></html>\n',
    etag: '"v2"',
    lastModified: 'Sat, 05 Dec 2026 02:00:00 GMT',
  };
  now += 61_000;
  const [third] = await job.runOnce(now);
  assert.equal(third?.kind, 'failed');
  state = (await getBlocklist(ta.db, list.id))!;
  assert.match(state.feed?.error ?? '', /no valid IP or CIDR/);
  assert.equal((await liveItemCounts(ta.db, [list.id], Date.now())).get(list.id), 2);
  assert.deepEqual(await stream(), { new: null, deleted: null });

  // a good feed again: only the difference is sent, the error clears
  feed = { body: '192.0.2.0/24\n203.0.113.0/24 ; SBL123\n', etag: '"v3"', lastModified: 'Sat, 05 Dec 2026 03:00:00 GMT' };
  now += 61_000;
  const [fourth] = await job.runOnce(now);
  assert.equal(fourth?.kind, 'updated');
  const d = await stream();
  assert.deepEqual([values(d.new), values(d.deleted)], [['203.0.113.0/24'], ['198.51.100.7']]);
  state = (await getBlocklist(ta.db, list.id))!;
  assert.equal(state.feed?.error, null);
  assert.equal(state.feed?.etag, '"v3"');
});
