import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDecisionFilter } from '../../src/domain/decision-filter.js';
import { allLiveItems } from '../../src/store/allowlist-items.js';
import { organizationId } from '../../src/store/instance.js';
import { addItemsAndApply, createList, subscribe } from '../../src/usecases/allowlists.js';
import { addDecisions, failUpdates, openTestDeps, sqliteOnly } from './helpers.js';

const actor = { source_type: 'apikey', identifier: 'test' } as const;

test('items added to a list that applies everywhere expire the decisions they cover, in the same transaction', {
  skip: sqliteOnly,
}, async (t) => {
  const deps = await openTestDeps(t);
  const org = await organizationId(deps.db, deps.config.admin.organizationId);
  const list = await createList(deps, 'office', '');
  await subscribe(deps, list.id, 'org', [org], org);
  await addDecisions(deps, '10.0.0.1', '10.1.0.1');
  const served = (ip: string) => deps.feed.index.query(parseDecisionFilter({ ip }), Date.now()).length;
  const items = { values: ['10.0.0.0/16'], description: '', expiresAt: null, actor };

  // the expiry fails: the items are not added either
  const restore = await failUpdates(deps.db, 'decisions', 'disk I/O error');
  await assert.rejects(addItemsAndApply(deps, list.id, items), /disk I\/O error/);
  await restore();
  assert.deepEqual(await allLiveItems(deps.db, list.id, Date.now()), []);
  assert.equal(served('10.0.0.1'), 1);

  const r = await addItemsAndApply(deps, list.id, items);
  assert.deepEqual([r.added.map((i) => i.value), r.expired], [['10.0.0.0/16'], 1]);
  // settled before returning: the index and the allowlists view have both moved
  assert.deepEqual([served('10.0.0.1'), served('10.1.0.1')], [0, 1]);
  assert.equal(deps.allowlists.current.items.length, 1);
});
