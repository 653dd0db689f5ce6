import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pageItems } from '../../../src/store/allowlist-items.js';
import { listSubscribers } from '../../../src/store/allowlist-subscribers.js';
import { getAllowlistByName } from '../../../src/store/allowlists.js';
import { cli, cliEnv, withEnvDb } from '../helpers.js';

test('allowlists delete: with its items and subscriptions, --force accepted, unknown list refused', async (t) => {
  const env = cliEnv(t);
  let r = await cli(env, ['allowlist', 'delete']);
  assert.deepEqual([r.code, r.stderr], [1, 'Error: lapis allowlists delete: accepts 1 arg(s), received 0\n']);
  r = await cli(env, ['allowlist', 'delete', 'does-not-exist']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', "Error: lapis allowlists delete: allowlist 'does-not-exist' not found\n"]);
  await cli(env, ['allowlist', 'create', 'foo', '-d', 'A Foo']);
  await cli(env, ['allowlist', 'add', 'foo', '1.2.3.4']);
  const id = await withEnvDb(env, async (db) => (await getAllowlistByName(db, 'foo'))!.id);
  r = await cli(env, ['allowlist', 'delete', 'foo']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, "allowlist 'foo' deleted successfully\n", '']);
  await withEnvDb(env, async (db) => {
    assert.equal(await getAllowlistByName(db, 'foo'), undefined);
    assert.deepEqual(await listSubscribers(db, id), []);
    assert.deepEqual(await pageItems(db, id, 0, 10, Date.now()), []);
  });
  await cli(env, ['allowlist', 'create', 'foo', '-d', 'again']);
  r = await cli(env, ['allowlist', 'delete', 'foo', '--force']);
  assert.deepEqual([r.code, r.stdout], [0, "allowlist 'foo' deleted successfully\n"]);
  // a decision added while the list applied is allowed again once it is gone
  assert.equal((await cli(env, ['decisions', 'add', '-i', '1.2.3.4'])).code, 0);
});
