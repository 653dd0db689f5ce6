import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allowlistsAdd } from '../../../src/cli/allowlists/add.js';
import { pageItems } from '../../../src/store/allowlist-items.js';
import { getAllowlistByName } from '../../../src/store/allowlists.js';
import { cli, cliEnv, withEnvDb } from '../helpers.js';
import { activeValues, assertRefusals, orgOf, snapshot } from './helpers.js';

test('allowlists add: invalid values logged and skipped, duplicates warned, comment and expiration, bad -e', async (t) => {
  const env = cliEnv(t);
  await assertRefusals(env, 'add', [
    [['allowlist', 'add'], 'requires at least 2 arg(s), only received 0'],
    [['allowlist', 'add', 'foo'], 'requires at least 2 arg(s), only received 1'],
    [['allowlist', 'add', 'foo', 'bar'], "allowlist 'foo' not found"],
  ]);

  let r = await cli(env, ['allowlist', 'create', 'foo', '-d', 'a foo']);
  assert.equal(r.code, 0, r.stderr);
  for (const [value, msg] of [
    ['bar', "invalid ip address 'bar'"],
    ['1.1.1.256', "invalid ip address '1.1.1.256'"],
    ['1.1.1.1/2/3', "invalid ip range '1.1.1.1/2/3': invalid CIDR address: 1.1.1.1/2/3"],
  ]) {
    r = await cli(env, ['allowlist', 'add', 'foo', value!]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', `${msg}\n`], value);
  }
  r = await cli(env, ['allowlist', 'add', 'foo', '1.2.3.4']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'added 1 values to allowlist foo\n', '']);
  r = await cli(env, ['allowlist', 'add', 'foo', '1.2.3.4']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'no new values for allowlist\n', 'value 1.2.3.4 already in allowlist\n']);
  // the same addresses, written otherwise
  r = await cli(env, ['allowlist', 'add', 'foo', '1.2.3.4/32', '::ffff:1.2.3.4']);
  assert.deepEqual(
    [r.stdout, r.stderr],
    ['no new values for allowlist\n', 'value 1.2.3.4/32 already in allowlist\nvalue ::ffff:1.2.3.4 already in allowlist\n'],
  );
  r = await cli(env, ['allowlist', 'add', 'foo', '5.6.7.8/24', '9.10.11.12', 'bad', '9.10.11.12']);
  assert.deepEqual(
    [r.code, r.stdout, r.stderr],
    [0, 'added 2 values to allowlist foo\n', "invalid ip address 'bad'\nvalue 9.10.11.12 already in allowlist\n"],
  );
  // json and raw drop warnings, not errors
  r = await cli(env, ['allowlist', 'add', 'foo', '1.2.3.4', 'nope', '-o', 'json']);
  assert.deepEqual([r.stdout, r.stderr], ['', "invalid ip address 'nope'\n"]);

  const before = await snapshot(env);
  for (const [e, msg] of [
    ['toto', 'invalid argument "toto" for "-e, --expiration" flag: time: invalid duration "toto"'],
    ['1 day', 'invalid argument "1 day" for "-e, --expiration" flag: invalid day value in duration "1 day"'],
    ['-1h', "the expiration must be positive, got '-1h'"],
  ]) {
    r = await cli(env, ['allowlist', 'add', 'foo', '10.10.10.10', '10.20.30.40', '-d', 'comment', '-e', e!]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `Error: lapis allowlists add: ${msg}\n`], e);
  }
  assert.equal(await snapshot(env), before);

  const now = Date.now();
  r = await cli(env, ['allowlist', 'add', 'foo', '10.10.10.10', '-d', 'comment', '-e', '1d']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'added 1 values to allowlist foo\n', '']);
  r = await cli(env, ['allowlist', 'add', 'foo', '10.20.30.40', '2001:db8::/64', '--comment', 'two', '--expiration', '1d12h']);
  assert.deepEqual([r.code, r.stdout], [0, 'added 2 values to allowlist foo\n']);
  r = await cli(env, ['allowlist', 'add', 'foo', '10.30.0.1', '-e', '0s']);
  assert.equal(r.stdout, 'added 1 values to allowlist foo\n');
  const items = await withEnvDb(env, async (db) => pageItems(db, (await getAllowlistByName(db, 'foo'))!.id, 0, 100, Date.now()));
  const by = new Map(items.map((i) => [i.value, i]));
  assert.deepEqual([...by.keys()], ['1.2.3.4', '5.6.7.8/24', '9.10.11.12', '10.10.10.10', '10.20.30.40', '2001:db8::/64', '10.30.0.1']);
  const day = 86_400_000;
  assert.equal(by.get('10.10.10.10')!.description, 'comment');
  assert.ok(Math.abs(by.get('10.10.10.10')!.expiresAt! - (now + day)) < 30_000);
  assert.ok(Math.abs(by.get('2001:db8::/64')!.expiresAt! - (now + 1.5 * day)) < 30_000);
  assert.equal(by.get('2001:db8::/64')!.description, 'two');
  assert.equal(by.get('10.30.0.1')!.expiresAt, null);
  assert.deepEqual(by.get('1.2.3.4')!.createdBy, { source_type: 'user', identifier: 'cli' });
  assert.equal(by.get('5.6.7.8/24')!.scope, 'range');

  const direct = await withEnvDb(env, (db) => allowlistsAdd(db, 'foo', ['1.2.3.4', 'x', '7.7.7.7']));
  assert.deepEqual(direct, { invalid: ["invalid ip address 'x'"], added: 1, skipped: ['1.2.3.4'], expired: 0 });
});

test('allowlists add expires the active decisions it covers when the organization subscribes (upstream cases)', async (t) => {
  const env = cliEnv(t);
  for (const argv of [
    ['-i', '1.2.3.4'],
    ['-r', '2.3.4.0/24'],
    ['-i', '5.4.3.42'],
    ['-r', '6.5.4.0/24'],
    ['-r', '10.0.0.0/23'],
    ['-i', '8.8.8.8'],
  ]) {
    assert.equal((await cli(env, ['decisions', 'add', ...argv])).code, 0);
  }
  assert.deepEqual(await activeValues(env), ['1.2.3.4', '10.0.0.0/23', '2.3.4.0/24', '5.4.3.42', '6.5.4.0/24', '8.8.8.8']);
  await cli(env, ['allowlists', 'create', 'foo', '-d', 'foo']);

  const steps: [string, string][] = [
    ['1.2.3.4', '1.2.3.4'], // exact
    ['2.3.4.42', '2.3.4.0/24'], // an IP inside a banned range
    ['5.4.3.0/24', '5.4.3.42'], // a range around a banned IP
    ['6.5.4.0/25', '6.5.4.0/24'], // a range inside a banned range
    ['10.0.0.0/24', '10.0.0.0/23'],
  ];
  for (const [item, gone] of steps) {
    const r = await cli(env, ['allowlists', 'add', 'foo', item]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'added 1 values to allowlist foo\n1 decisions deleted by allowlists\n', ''], item);
    assert.ok(!(await activeValues(env)).includes(gone), gone);
  }
  // a list nobody subscribes to ends nothing; when the organization subscribes, it does
  await cli(env, ['allowlists', 'create', 'later', '-d', 'later', '--no-subscribe']);
  let r = await cli(env, ['allowlists', 'add', 'later', '8.8.8.0/24']);
  assert.equal(r.stdout, 'added 1 values to allowlist later\n');
  assert.deepEqual(await activeValues(env), ['8.8.8.8']);
  const org = await orgOf(env);
  r = await cli(env, ['allowlists', 'subscribe', 'later', '-t', 'org']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, `subscribed ${org} to allowlist later\n1 decisions deleted by allowlists\n`, '']);
  assert.equal((await cli(env, ['decisions', 'list', '-o', 'json'])).stdout, '[]\n');
  // removing the items does not bring the decisions back
  assert.equal((await cli(env, ['allowlists', 'remove', 'foo', '1.2.3.4'])).stdout, 'removed 1 values from allowlist foo');
  assert.deepEqual(await activeValues(env), []);
});
