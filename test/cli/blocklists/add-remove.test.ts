import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getBlocklistByName } from '../../../src/store/blocklists.js';
import { itemsAt } from '../../../src/store/blocklist-items.js';
import { parseIpOrRange } from '../../../src/domain/ip-range.js';
import { cli, cliEnv, withEnvDb } from '../helpers.js';
import { assertRefusals, snapshot, valuesOf } from './helpers.js';

async function expiryOf(env: Parameters<typeof valuesOf>[0], name: string, value: string): Promise<number | null | undefined> {
  return withEnvDb(env, async (db) => {
    const list = (await getBlocklistByName(db, name))!;
    return [...(await itemsAt(db, list.id, [parseIpOrRange(value)])).values()][0]?.expiresAt;
  });
}

test('blocklists add and remove: invalid values one line each, the rest added; expirations; read-only lists; json', async (t) => {
  const env = cliEnv(t);
  await assertRefusals(env, 'blocklists', 'add', [
    [['blocklists', 'add', 'x'], 'requires at least 2 arg(s), only received 1'],
    [['blocklists', 'add', 'nope', '1.2.3.4'], "blocklist 'nope' not found"],
  ]);
  assert.equal((await cli(env, ['blocklists', 'create', 'bl'])).code, 0);

  let r = await cli(env, ['blocklists', 'add', 'bl', '192.0.2.1', 'bad', '10.0.0.0/8', '1.1.1.1/2/3', '2001:db8::1']);
  assert.deepEqual(
    [r.code, r.stdout, r.stderr],
    [
      0,
      'added 3 values to blocklist bl\n',
      "invalid ip address 'bad'\ninvalid ip range '1.1.1.1/2/3': invalid CIDR address: 1.1.1.1/2/3\n",
    ],
  );
  r = await cli(env, ['blocklists', 'add', 'bl', 'nope']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', "invalid ip address 'nope'\n"]);
  r = await cli(env, ['blocklists', 'add', 'bl', '192.0.2.1/32']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'no new values for blocklist\n', '']);
  // an expiration given to a value already there replaces its own
  const now = Date.now();
  r = await cli(env, ['blocklists', 'add', 'bl', '192.0.2.1', '198.51.100.0/24', '-e', '1d']);
  assert.deepEqual(
    [r.code, r.stdout, r.stderr],
    [0, 'added 1 values to blocklist bl\nupdated the expiration of 1 values in blocklist bl\n', ''],
  );
  assert.ok(Math.abs((await expiryOf(env, 'bl', '192.0.2.1'))! - (now + 86_400_000)) < 30_000);
  r = await cli(env, ['blocklists', 'add', 'bl', '203.0.113.5', '--expiration', '2030-01-01T00:00:00Z', '-o', 'json']);
  assert.deepEqual([r.code, r.stderr], [0, '']);
  assert.deepEqual(JSON.parse(r.stdout), { blocklist: 'bl', added: 1, updated: 0, invalid: 0 });
  assert.equal(await expiryOf(env, 'bl', '203.0.113.5'), Date.UTC(2030, 0, 1));
  assert.deepEqual(await valuesOf(env, 'bl'), ['10.0.0.0/8', '192.0.2.1', '198.51.100.0/24', '203.0.113.5', '2001:db8::1']);

  const before = await snapshot(env);
  await assertRefusals(env, 'blocklists', 'add', [
    [
      ['blocklists', 'add', 'bl', '1.2.3.4', '-e', 'toto'],
      'invalid argument "toto" for "-e, --expiration" flag: time: invalid duration "toto"',
    ],
    [['blocklists', 'add', 'bl', '1.2.3.4', '-e', '-1h'], "the expiration must be positive, got '-1h'"],
    [
      ['blocklists', 'add', 'bl', '1.2.3.4', '-e', '2001-01-01T00:00:00Z'],
      "the expiration must be in the future, got '2001-01-01T00:00:00Z'",
    ],
    [
      ['blocklists', 'add', 'bl', '1.2.3.4', '-e', '2030-02-30T00:00:00Z'],
      "invalid date-time '2030-02-30T00:00:00Z': expected ISO 8601, such as 2030-01-31T12:00:00Z",
    ],
    [['blocklists', 'add', 'lapi', '1.2.3.4'], "blocklist 'lapi' is read-only: it holds this instance's decisions"],
  ]);
  assert.equal(await snapshot(env), before);

  await assertRefusals(env, 'blocklists', 'remove', [
    [['blocklists', 'remove', 'bl', '192.0.2.1', 'bad'], "invalid ip address 'bad'"],
    [['blocklists', 'remove', 'nope', '192.0.2.1'], "blocklist 'nope' not found"],
    [['blocklists', 'remove', 'lapi', '192.0.2.1'], "blocklist 'lapi' is read-only: it holds this instance's decisions"],
  ]);
  assert.equal(await snapshot(env), before);
  r = await cli(env, ['blocklists', 'remove', 'bl', '192.0.2.1/32', '2001:db8::1', '8.8.8.8']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'removed 2 values from blocklist bl\n', '']);
  r = await cli(env, ['blocklists', 'remove', 'bl', '8.8.8.8']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'no value to remove from blocklist\n', '']);
  r = await cli(env, ['blocklists', 'remove', 'bl', '10.0.0.0/8', '-o', 'json']);
  assert.deepEqual(JSON.parse(r.stdout), { blocklist: 'bl', removed: 1 });
  assert.deepEqual(await valuesOf(env, 'bl'), ['198.51.100.0/24', '203.0.113.5']);
});

test('blocklists add: more than 20,000 values go in batches of 20,000, each its own transaction', async (t) => {
  const env = cliEnv(t);
  assert.equal((await cli(env, ['blocklists', 'create', 'big'])).code, 0);
  const values = Array.from({ length: 20_001 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const r = await cli(env, ['blocklists', 'add', 'big', ...values]);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'added 20001 values to blocklist big\n', '']);
  // one content change per transaction
  assert.equal((await withEnvDb(env, (db) => getBlocklistByName(db, 'big')))!.contentVersion, 2);
});
