import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildAdminApp, buildApp } from '../../src/app.js';
import { openRuntime } from '../../src/runtime.js';
import { adminClient, makeList } from '../helpers/admin.js';
import { tempDir, testDbConfig, type TestApp } from '../helpers/app.js';
import type { Config } from '../../src/config/schema.js';
import { addItems, removeItemsByValue } from '../../src/store/allowlist-items.js';
import { addSubscribers } from '../../src/store/allowlist-subscribers.js';
import { createAllowlist } from '../../src/store/allowlists.js';
import { parseIpOrRange } from '../../src/domain/ip-range.js';
import { usingDb } from '../../src/store/db.js';
import { addAdminKey, addBouncer, addMachine, bouncerGet, cscliAlert, login, pushAlerts } from '../helpers/actors.js';
import type { After } from '../helpers/context.js';
import { waitUntil } from '../helpers/wait.js';

type Node = TestApp & { close(): Promise<void> };

/** A node on the config's database, in this process: its own runtime (index, allowlists, poll) and apps. */
async function startNode(t: After, config: Config): Promise<Node> {
  const runtime = await openRuntime(config, undefined, { pollMs: 100 });
  const app = await buildApp(runtime.deps);
  const admin = await buildAdminApp(runtime.deps);
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await admin.close();
      await app.close();
      await runtime.close();
    })());
  t.after(close);
  const { db, jwt, feed, allowlists } = runtime.deps;
  return { app, admin, db, jwt, feed, allowlists, config, dir: '', close };
}

async function twoNodes(t: After): Promise<[Node, Node]> {
  const config = testDbConfig(tempDir(t));
  return [await startNode(t, config), await startNode(t, config)];
}

type Stream = { new: { value: string }[] | null; deleted: { value: string }[] | null };
const pull = async (n: TestApp, key: string, startup = false) =>
  JSON.parse((await bouncerGet(n, key, `/v1/decisions/stream${startup ? '?startup=true' : ''}`)).body) as Stream;
const values = (l: { value: string }[] | null) => (l ?? []).map((d) => d.value).sort();

test('an allowlist written on one node reaches bouncers pulling from the other, exactly once, whichever node they pull from', async (t) => {
  const [a, b] = await twoNodes(t);
  await addMachine(a, 'web-01');
  const token = await login(a, 'web-01');
  const key = await addBouncer(a, 'fw01');
  await pushAlerts(a, token, [cscliAlert('192.0.2.1'), cscliAlert('192.0.2.2'), cscliAlert('203.0.113.5')]);
  await waitUntil(() => b.feed.index.size === 3, 3000, "B's poll");
  assert.deepEqual(values((await pull(b, key, true)).new), ['192.0.2.1', '192.0.2.2', '203.0.113.5']);

  const call = adminClient(a, await addAdminKey(a));
  const id = await makeList(call, 'fw01', [{ type: 'remediation_component_integration', ids: ['fw01'] }], ['192.0.2.0/30']);
  // node B hears of it within its poll, without any request to it
  await waitUntil(() => b.allowlists.servedVersion === a.allowlists.servedVersion, 3000, "B's poll");
  assert.equal((await bouncerGet(b, key, '/v1/decisions?ip=192.0.2.1')).body, 'null');
  assert.deepEqual(values((await pull(b, key)).deleted), ['192.0.2.1', '192.0.2.2']);
  // the cursor B wrote names the allowlists version: A does not send the same change again
  assert.deepEqual(await pull(a, key), { new: null, deleted: null });
  assert.deepEqual(await pull(b, key), { new: null, deleted: null });

  // the item goes on A, the bouncer pulls from A: the decisions come back once
  const item = ((await call('GET', `/v1/allowlists/${id}/items`)).json().items as { id: string }[])[0]!.id;
  assert.equal((await call('DELETE', `/v1/allowlists/${id}/items/${item}`)).status, 204);
  assert.deepEqual(values((await pull(a, key)).new), ['192.0.2.1', '192.0.2.2']);
  // once B knows of the removal too, it has nothing to send either
  await waitUntil(() => b.allowlists.servedVersion === a.allowlists.servedVersion, 3000, "B's poll");
  assert.deepEqual(await pull(b, key), { new: null, deleted: null });
});

test('allowlist changes made while the only node was down reach its bouncers after the restart, both ways', async (t) => {
  const config = testDbConfig(tempDir(t));
  const first = await startNode(t, config);
  await addMachine(first, 'web-01');
  const token = await login(first, 'web-01');
  const key = await addBouncer(first, 'fw01');
  await pushAlerts(first, token, [cscliAlert('192.0.2.1'), cscliAlert('198.51.100.1')]);
  const list = await createAllowlist(first.db, 'fw01', '');
  await addSubscribers(first.db, list.id, 'remediation_component_integration', ['fw01']);
  await addItems(first.db, list.id, {
    values: ['192.0.2.1'],
    description: '',
    expiresAt: null,
    actor: { source_type: 'user', identifier: 'test' },
  });
  await first.allowlists.refresh();
  assert.deepEqual(values((await pull(first, key, true)).new), ['198.51.100.1']);
  await first.close();

  // while it is down, the CLI swaps the item: 192.0.2.1 is shown again, 198.51.100.1 hidden
  await usingDb(config.db, async (db) => {
    await removeItemsByValue(db, list.id, [parseIpOrRange('192.0.2.1')]);
    await addItems(db, list.id, {
      values: ['198.51.100.1'],
      description: '',
      expiresAt: null,
      actor: { source_type: 'user', identifier: 'test' },
    });
  });
  const second = await startNode(t, config);
  const after = await pull(second, key);
  assert.deepEqual(values(after.new), ['192.0.2.1']);
  assert.deepEqual(values(after.deleted), ['198.51.100.1']);
  assert.deepEqual(await pull(second, key), { new: null, deleted: null });
});
