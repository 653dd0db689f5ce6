import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildAdminApp, buildApp } from '../../src/app.js';
import type { Config } from '../../src/config/schema.js';
import { parseIpOrRange } from '../../src/domain/ip-range.js';
import { openRuntime } from '../../src/runtime.js';
import { changeTags } from '../../src/store/entity-tags.js';
import { organizationId } from '../../src/store/instance.js';
import { addBlocklistItems, createBlocklist, deleteBlocklistItems, subscribeBlocklist } from '../../src/usecases/blocklists.js';
import { createIntegration } from '../../src/usecases/integrations.js';
import { addBouncer, bouncerGet } from '../helpers/actors.js';
import { tempDir, testDbConfig, type TestApp } from '../helpers/app.js';
import type { After } from '../helpers/context.js';
import { waitUntil } from '../helpers/wait.js';

type Node = TestApp & { settle: (c: 'decisions' | 'allowlists') => Promise<void> };

async function startNode(t: After, config: Config): Promise<Node> {
  const runtime = await openRuntime(config, undefined, { pollMs: 100 });
  const app = await buildApp(runtime.deps);
  const admin = await buildAdminApp(runtime.deps);
  t.after(async () => {
    await admin.close();
    await app.close();
    await runtime.close();
  });
  const { db, jwt, feed, allowlists, settle } = runtime.deps;
  return { app, admin, db, jwt, feed, allowlists, config, dir: '', settle };
}

type Stream = { new: { value: string }[] | null; deleted: { value: string }[] | null };
const pull = async (n: TestApp, key: string, startup = false) =>
  JSON.parse((await bouncerGet(n, key, `/v1/decisions/stream${startup ? '?startup=true' : ''}`)).body) as Stream;
const values = (l: { value: string }[] | null) => (l ?? []).map((d) => d.value).sort();
const quiet = (s: Stream) => assert.deepEqual([values(s.new), values(s.deleted)], [[], []]);

test('two nodes: a blocklist written on one reaches a bouncer pulling from either, each change once, and firewalls read the same bytes from both', async (t) => {
  const config = testDbConfig(tempDir(t));
  const a = await startNode(t, config);
  const b = await startNode(t, config);
  const w = { db: a.db, settle: a.settle };
  const org = await organizationId(a.db);
  const key = await addBouncer(a, 'fw01', 'key-of-fw01-0123456789');
  const list = await createBlocklist(w, { name: 'drop', label: 'drop', description: 'd', references: [], tags: [], feed: null });
  await addBlocklistItems(
    w,
    list.id,
    ['192.0.2.1', '192.0.2.2'].map((v) => parseIpOrRange(v)),
    null,
  );
  await subscribeBlocklist(w, list.id, 'tag', ['edge'], 'ban', org);
  quiet(await pull(b, key, true));

  // the tag given on node A: node B serves the list to fw01 once
  await changeTags(a.db, 'bouncer', 'fw01', ['edge'], []);
  await a.allowlists.refresh();
  await waitUntil(() => b.allowlists.servedVersion === a.allowlists.servedVersion, 3000, "B's poll");
  assert.deepEqual(values((await pull(b, key)).new), ['192.0.2.1', '192.0.2.2']);
  quiet(await pull(a, key));

  // an item deleted on A, pulled from B, then from A: once
  await deleteBlocklistItems(w, list.id, [parseIpOrRange('192.0.2.2')]);
  await waitUntil(() => b.feed.servedSeq === a.feed.servedSeq, 3000, "B's feed");
  assert.deepEqual(values((await pull(b, key)).deleted), ['192.0.2.2']);
  quiet(await pull(a, key));

  // the tag taken on B's side of the store: A sends the deletion once
  await changeTags(b.db, 'bouncer', 'fw01', [], ['edge']);
  await b.allowlists.refresh();
  await waitUntil(() => a.allowlists.servedVersion === b.allowlists.servedVersion, 3000, "A's poll");
  assert.deepEqual(values((await pull(a, key)).deleted), ['192.0.2.1']);
  quiet(await pull(b, key));

  // a firewall's content: the same bytes and the same ETag from both nodes
  const { integration, credentials } = await createIntegration(w, {
    name: 'opnsense',
    description: '',
    entityType: 'firewall_integration',
    outputFormat: 'plain_text',
    pullLimit: null,
    enableIpAggregation: false,
    tags: [],
  });
  assert.ok('password' in credentials);
  await subscribeBlocklist(w, list.id, 'firewall_integration', [integration.id], null, org);
  await waitUntil(() => b.allowlists.servedVersion === a.allowlists.servedVersion, 3000, "B's poll");
  const auth = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const get = (n: TestApp) =>
    n.app.inject({ method: 'GET', url: `/v1/integrations/${integration.id}/content`, headers: { authorization: auth } });
  const [ra, rb] = [await get(a), await get(b)];
  assert.equal(ra.body, '192.0.2.1\n');
  assert.equal(rb.body, ra.body);
  assert.equal(rb.headers.etag, ra.headers.etag);
});
