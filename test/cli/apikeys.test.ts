import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminAuthenticator } from '../../src/auth/admin-key.js';
import { hashApiKey } from '../../src/auth/api-key.js';
import { apikeysAdd } from '../../src/cli/apikeys/add.js';
import { apikeysDelete } from '../../src/cli/apikeys/delete.js';
import { createAdminKey, listAdminKeys, touchAdminKey } from '../../src/store/admin-keys.js';
import { cli, cliEnv, withEnvDb } from './helpers.js';

test('apikeys add: the key printed once (human, raw, json), its SHA-512 stored, duplicates refused', async (t) => {
  const env = cliEnv(t);
  const human = await cli(env, ['apikeys', 'add', 'ops']);
  assert.equal(human.code, 0, human.stderr);
  assert.equal(human.stderr, '');
  const m = /^API key for 'ops':\n\n {3}([A-Za-z0-9+/]{43})\n\nPlease keep this key since you will not be able to retrieve it!\n$/.exec(
    human.stdout,
  );
  assert.ok(m, human.stdout);
  const key = m[1]!;
  const stored = await withEnvDb(env, (db) => listAdminKeys(db));
  assert.deepEqual(
    stored.map((k) => [k.name, k.keyHash, k.lastUsedAt]),
    [['ops', hashApiKey(key), null]],
  );
  // the key opens the admin API, and only it
  await withEnvDb(env, async (db) => {
    const check = adminAuthenticator(db);
    assert.equal((await check(key))?.name, 'ops');
    assert.equal(await check(`${key}x`), undefined);
  });

  const raw = await cli(env, ['apikey', 'add', 'ci', '-o', 'raw']);
  assert.match(raw.stdout, /^[A-Za-z0-9+/]{43}$/);
  const json = await cli(env, ['apikeys', 'add', 'sync', '-o', 'json']);
  const jsonKey = JSON.parse(json.stdout) as string;
  assert.match(json.stdout, /^"[A-Za-z0-9+/]{43}"$/);
  const hashes = new Map((await withEnvDb(env, (db) => listAdminKeys(db))).map((k) => [k.name, k.keyHash]));
  assert.equal(hashes.get('ci'), hashApiKey(raw.stdout));
  assert.equal(hashes.get('sync'), hashApiKey(jsonKey));
  assert.notEqual(raw.stdout, jsonKey);

  const dup = await cli(env, ['apikeys', 'add', 'ops']);
  assert.deepEqual(
    [dup.code, dup.stdout, dup.stderr],
    [1, '', "Error: lapis apikeys add: unable to create admin key: admin key 'ops' already exists\n"],
  );
  assert.equal((await withEnvDb(env, (db) => listAdminKeys(db))).find((k) => k.name === 'ops')!.keyHash, hashApiKey(key));
  const noName = await cli(env, ['apikeys', 'add']);
  assert.deepEqual([noName.code, noName.stderr], [1, 'Error: lapis apikeys add: accepts 1 arg(s), received 0\n']);
  await assert.rejects(
    withEnvDb(env, (db) => apikeysAdd(db, 'ci')),
    { message: "unable to create admin key: admin key 'ci' already exists" },
  );
});

test('apikeys list: human table, json objects, raw CSV; empty', async (t) => {
  const env = cliEnv(t);
  assert.equal((await cli(env, ['apikeys', 'list', '-o', 'json'])).stdout, '[]\n');
  assert.equal((await cli(env, ['apikeys', 'list', '-o', 'raw'])).stdout, 'name,created_at,last_used_at\n');
  const emptyRule = '─'.repeat(29);
  assert.equal((await cli(env, ['apikeys', 'list'])).stdout, `${emptyRule}\n Name  Created at  Last used\n${emptyRule}\n${emptyRule}\n`);

  const t0 = Date.UTC(2026, 6, 24, 9, 0, 0);
  await withEnvDb(env, async (db) => {
    await createAdminKey(db, 'console-sync', hashApiKey('a'), t0);
    await createAdminKey(db, 'ci', hashApiKey('b'), t0 + 1500);
    const [first] = await listAdminKeys(db);
    await touchAdminKey(db, first!.id, t0 + 3_600_250);
  });
  const rule = '─'.repeat(58);
  assert.equal(
    (await cli(env, ['apikeys', 'list'])).stdout,
    [
      rule,
      ' Name          Created at            Last used',
      rule,
      ' console-sync  2026-07-24T09:00:00Z  2026-07-24T10:00:00Z',
      ' ci            2026-07-24T09:00:01Z  never',
      rule,
      '',
    ].join('\n'),
  );
  assert.deepEqual(JSON.parse((await cli(env, ['apikeys', 'list', '-o', 'json'])).stdout), [
    { name: 'console-sync', created_at: '2026-07-24T09:00:00Z', last_used_at: '2026-07-24T10:00:00.25Z' },
    { name: 'ci', created_at: '2026-07-24T09:00:01.5Z', last_used_at: null },
  ]);
  assert.equal(
    (await cli(env, ['apikeys', 'list', '-o', 'raw'])).stdout,
    'name,created_at,last_used_at\nconsole-sync,2026-07-24T09:00:00Z,2026-07-24T10:00:00Z\nci,2026-07-24T09:00:01Z,\n',
  );
  const extra = await cli(env, ['apikeys', 'list', 'x']);
  assert.deepEqual([extra.code, extra.stderr], [1, 'Error: lapis apikeys list: unknown command "x" for "lapis apikeys list"\n']);
});

test('apikeys delete: every name checked first, one line per key deleted', async (t) => {
  const env = cliEnv(t);
  await withEnvDb(env, async (db) => {
    for (const name of ['a', 'b', 'c']) await createAdminKey(db, name, hashApiKey(name));
  });
  const names = async () => (await withEnvDb(env, (db) => listAdminKeys(db))).map((k) => k.name);
  let r = await cli(env, ['apikeys', 'delete', 'a', 'nope']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', "Error: lapis apikeys delete: admin key 'nope' not found\n"]);
  assert.deepEqual(await names(), ['a', 'b', 'c']);
  r = await cli(env, ['apikeys', 'delete', 'a', 'b', 'a']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, "admin key 'a' deleted\nadmin key 'b' deleted\n", '']);
  assert.deepEqual(await names(), ['c']);
  r = await cli(env, ['apikey', 'remove', 'c']);
  assert.deepEqual([r.code, r.stdout], [0, "admin key 'c' deleted\n"]);
  r = await cli(env, ['apikeys', 'delete']);
  assert.deepEqual([r.code, r.stderr], [1, 'Error: lapis apikeys delete: requires at least 1 arg(s), only received 0\n']);
  await assert.rejects(
    withEnvDb(env, (db) => apikeysDelete(db, ['c'])),
    { message: "admin key 'c' not found" },
  );
  const off = cliEnv(t, 'api:\n  server:\n    enable: false\n');
  r = await cli(off, ['apikeys', 'list']);
  assert.deepEqual(
    [r.code, r.stderr],
    [1, 'Error: lapis apikeys list: local API is disabled -- this command must be run on the local API machine\n'],
  );
});
