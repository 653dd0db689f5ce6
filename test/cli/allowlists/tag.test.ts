import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashApiKey } from '../../../src/auth/api-key.js';
import { createBouncer } from '../../../src/store/bouncers.js';
import { createMachine } from '../../../src/store/machines.js';
import { cli, cliEnv, withEnvDb } from '../helpers.js';

test('machines tag and bouncers tag: add, remove, show; unknown names; deleting drops the tags', async (t) => {
  const env = cliEnv(t);
  await withEnvDb(env, async (db) => {
    await createMachine(db, { machineId: 'web-01', passwordHash: 'x', isValidated: true });
    await createBouncer(db, { name: 'fw', keyHash: hashApiKey('fw') });
    await createBouncer(db, { name: 'fw@192.0.2.1', keyHash: hashApiKey('fw'), ipAddress: '192.0.2.1', autoCreated: true });
  });
  let r = await cli(env, ['machines', 'tag', 'web-01']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'web-01 has no tags\n', '']);
  r = await cli(env, ['machines', 'tag', 'web-01', 'eu', 'edge', 'eu']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'tags of web-01: edge, eu\n', '']);
  r = await cli(env, ['machine', 'tag', 'web-01', 'eu', '--remove', '-o', 'json']);
  assert.deepEqual([r.code, r.stdout], [0, '[\n  "edge"\n]\n']);
  r = await cli(env, ['machines', 'tag', 'web-01', '-o', 'json']);
  assert.equal(r.stdout, '[\n  "edge"\n]\n');
  r = await cli(env, ['bouncers', 'tag', 'fw', 'edge']);
  assert.deepEqual([r.code, r.stdout], [0, 'tags of fw: edge\n']);
  r = await cli(env, ['bouncer', 'tag', 'fw@192.0.2.1', 'child']);
  assert.equal(r.stdout, 'tags of fw@192.0.2.1: child\n');

  for (const [argv, msg] of [
    [['machines', 'tag', 'ghost', 'x'], "lapis machines tag: machine 'ghost' not found"],
    [['bouncers', 'tag', 'ghost'], "lapis bouncers tag: bouncer 'ghost' not found"],
    [['machines', 'tag', 'web-01', '--remove'], 'lapis machines tag: --remove needs at least one tag'],
    [['bouncers', 'tag', 'fw', 'ok', ''], 'lapis bouncers tag: a tag cannot be empty'],
    [['machines', 'tag'], 'lapis machines tag: requires at least 1 arg(s), only received 0'],
  ] as [string[], string][]) {
    r = await cli(env, argv);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `Error: ${msg}\n`], argv.join(' '));
  }
  assert.equal((await cli(env, ['bouncers', 'tag', 'fw'])).stdout, 'tags of fw: edge\n');

  // a tag subscription makes the list apply somewhere: decisions add refuses what it covers
  await cli(env, ['allowlists', 'create', 'tagged', '-d', 't', '--no-subscribe']);
  await cli(env, ['allowlists', 'add', 'tagged', '203.0.113.0/24']);
  assert.equal((await cli(env, ['decisions', 'add', '-i', '203.0.113.5'])).code, 0);
  await cli(env, ['allowlists', 'subscribe', 'tagged', 'edge', '-t', 'tag']);
  r = await cli(env, ['decisions', 'add', '-i', '203.0.113.6']);
  assert.equal(
    r.stderr,
    'Error: lapis decisions add: 203.0.113.6 is allowlisted by item 203.0.113.0/24 from tagged, use --bypass-allowlist to add the decision anyway\n',
  );

  assert.equal((await cli(env, ['machines', 'delete', 'web-01'])).code, 0);
  assert.equal((await cli(env, ['bouncers', 'delete', 'fw'])).code, 0);
  const hourAgo = Date.now() - 3_600_000;
  await withEnvDb(env, async (db) => {
    await createMachine(db, { machineId: 'web-01', passwordHash: 'x', isValidated: true }, hourAgo);
    await createBouncer(db, { name: 'fw', keyHash: hashApiKey('fw2') }, hourAgo);
    await createBouncer(db, { name: 'fw@192.0.2.1', keyHash: hashApiKey('fw2'), ipAddress: '192.0.2.1', autoCreated: true }, hourAgo);
  });
  assert.equal((await cli(env, ['machines', 'tag', 'web-01'])).stdout, 'web-01 has no tags\n');
  assert.equal((await cli(env, ['bouncers', 'tag', 'fw'])).stdout, 'fw has no tags\n');
  assert.equal((await cli(env, ['bouncers', 'tag', 'fw@192.0.2.1'])).stdout, 'fw@192.0.2.1 has no tags\n');

  // prune too
  await cli(env, ['machines', 'tag', 'web-01', 'old']);
  await cli(env, ['bouncers', 'tag', 'fw', 'old']);
  assert.equal((await cli(env, ['machines', 'prune', '-d', '10m', '--force'])).code, 0);
  assert.equal((await cli(env, ['bouncers', 'prune', '-d', '10m', '--force'])).code, 0);
  await withEnvDb(env, async (db) => {
    await createMachine(db, { machineId: 'web-01', passwordHash: 'x', isValidated: true });
    await createBouncer(db, { name: 'fw', keyHash: hashApiKey('fw3') });
  });
  assert.equal((await cli(env, ['machines', 'tag', 'web-01'])).stdout, 'web-01 has no tags\n');
  assert.equal((await cli(env, ['bouncers', 'tag', 'fw'])).stdout, 'fw has no tags\n');
});
