import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allowlistsCreate } from '../../../src/cli/allowlists/create.js';
import { listSubscribers } from '../../../src/store/allowlist-subscribers.js';
import { getAllowlistByName } from '../../../src/store/allowlists.js';
import { cli, cliEnv, withEnvDb } from '../helpers.js';
import { assertRefusals, orgOf } from './helpers.js';

test('allowlists create: cscli messages, required description, duplicates, org subscription unless --no-subscribe', async (t) => {
  const env = cliEnv(t);
  await assertRefusals(env, 'create', [
    [['allowlists', 'create'], 'accepts 1 arg(s), received 0'],
    [['allowlist', 'create', 'foo'], 'required flag(s) "description" not set'],
  ]);
  let r = await cli(env, ['allowlist', 'create', 'foo', '-d', 'A Foo']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, "allowlist 'foo' created successfully\n", '']);
  r = await cli(env, ['allowlist', 'create', 'foo', '-d', 'Another Foo']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', "Error: lapis allowlists create: allowlist 'foo' already exists\n"]);
  r = await cli(env, ['allowlists', 'create', 'Foo', '--description', 'Another Foo']);
  assert.deepEqual([r.code, r.stdout], [0, "allowlist 'Foo' created successfully\n"]);
  r = await cli(env, ['allowlists', 'create', 'bar', '-d', '', '--no-subscribe']);
  assert.deepEqual([r.code, r.stdout], [0, "allowlist 'bar' created successfully\n"]);

  const org = await orgOf(env);
  assert.match(org, /^lapis-[0-9a-f]{16}$/);
  await withEnvDb(env, async (db) => {
    const foo = (await getAllowlistByName(db, 'foo'))!;
    assert.equal(foo.description, 'A Foo');
    assert.deepEqual(await listSubscribers(db, foo.id), [{ allowlistId: foo.id, entityType: 'org', entityId: org }]);
    assert.equal((await listSubscribers(db, (await getAllowlistByName(db, 'Foo'))!.id)).length, 1);
    assert.deepEqual(await listSubscribers(db, (await getAllowlistByName(db, 'bar'))!.id), []);
  });
  r = await cli(env, ['allowlists', 'list', '-o', 'json']);
  const json = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.deepEqual(
    json.map(({ created_at: _c, updated_at: _u, allowlist_id: id, ...rest }) => {
      assert.match(String(id), /^[0-9a-f]{24}$/);
      return rest;
    }),
    [
      { description: 'A Foo', items: [], name: 'foo' },
      { description: 'Another Foo', items: [], name: 'Foo' },
      { items: [], name: 'bar' },
    ],
  );

  // a configured organization id is the one subscribed
  const acme = cliEnv(t, 'api:\n  admin:\n    organization_id: acme\n');
  assert.equal((await cli(acme, ['allowlists', 'create', 'a', '-d', 'a'])).code, 0);
  const subs = await withEnvDb(acme, async (db) => listSubscribers(db, (await getAllowlistByName(db, 'a'))!.id));
  assert.deepEqual(
    subs.map((s) => [s.entityType, s.entityId]),
    [['org', 'acme']],
  );
  await assert.rejects(
    withEnvDb(acme, (db) => allowlistsCreate(db, 'a', 'again', true)),
    { message: "allowlist 'a' already exists" },
  );
});
