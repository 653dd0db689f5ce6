import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashApiKey } from '../../src/auth/api-key.js';
import { parseDecisionFilter } from '../../src/domain/decision-filter.js';
import { createBouncer, getStreamCursor } from '../../src/store/bouncers.js';
import { expireDecisionIds } from '../../src/store/decisions.js';
import { pullStream } from '../../src/usecases/pull-stream.js';
import { addDecisions, failUpdates, openTestDeps, sqliteOnly } from './helpers.js';

const ALL = parseDecisionFilter({}, ['ip', 'range']);
const values = (list: { value: string }[]) => list.map((d) => d.value).sort();

test('a stream starts with a snapshot, then answers the delta since its cursor, and startup starts over', async (t) => {
  const deps = await openTestDeps(t);
  const bouncer = await createBouncer(deps.db, { name: 'fw', keyHash: hashApiKey('a-bouncer-key-0123456789') });
  await addDecisions(deps, '1.2.3.4', '10.0.0.0/24');

  const first = await pullStream(deps, bouncer, ALL, false);
  assert.deepEqual([values(first.new), first.deleted], [['1.2.3.4', '10.0.0.0/24'], []]);
  assert.deepEqual(await getStreamCursor(deps.db, bouncer.id), { seq: deps.feed.servedSeq, lastPull: first.at, allowlists: 0 });

  await addDecisions(deps, '5.6.7.8');
  const banned = first.new.find((d) => d.value === '1.2.3.4')!;
  await expireDecisionIds(deps.db, [banned.id], Date.now(), true);
  await deps.settle('decisions');
  const second = await pullStream(deps, bouncer, ALL, false);
  assert.deepEqual([values(second.new), values(second.deleted)], [['5.6.7.8'], ['1.2.3.4']]);

  // nothing happened since: an empty delta
  const third = await pullStream(deps, bouncer, ALL, false);
  assert.deepEqual([third.new, third.deleted], [[], []]);

  const startup = await pullStream(deps, bouncer, ALL, true);
  assert.deepEqual(values(startup.new), ['10.0.0.0/24', '5.6.7.8']);
});

test('a cursor that cannot be saved does not move: the pull fails and the next one sends what it missed', {
  skip: sqliteOnly,
}, async (t) => {
  const deps = await openTestDeps(t);
  const bouncer = await createBouncer(deps.db, { name: 'fw', keyHash: hashApiKey('a-bouncer-key-0123456789') });
  await addDecisions(deps, '1.2.3.4');
  await pullStream(deps, bouncer, ALL, false);
  const before = await getStreamCursor(deps.db, bouncer.id);

  await addDecisions(deps, '5.6.7.8');
  const restore = await failUpdates(deps.db, 'bouncers', 'disk I/O error');
  await assert.rejects(pullStream(deps, bouncer, ALL, false), /disk I\/O error/);
  assert.deepEqual(await getStreamCursor(deps.db, bouncer.id), before);

  await restore();
  const next = await pullStream(deps, bouncer, ALL, false);
  assert.deepEqual([values(next.new), next.deleted], [['5.6.7.8'], []]);
});
