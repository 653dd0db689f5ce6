import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allowlistsCheck } from '../../../src/cli/allowlists/check.js';
import { cli, cliEnv, withEnvDb } from '../helpers.js';

test('allowlists check: every value, reasons sorted by list name, lists without subscribers ignored, invalid values refused', async (t) => {
  const env = cliEnv(t);
  for (const [name, value] of [
    ['Uppercase', '192.168.0.0/28'],
    ['bar', '192.168.0.0/24'],
    ['foo', '192.168.0.0/16'],
  ]) {
    await cli(env, ['allowlists', 'create', name!, '-d', name!]);
    assert.equal((await cli(env, ['allowlists', 'add', name!, value!])).code, 0);
  }
  await cli(env, ['allowlists', 'create', 'idle', '-d', 'idle', '--no-subscribe']);
  await cli(env, ['allowlists', 'add', 'idle', '10.0.0.0/8', '192.168.0.1']);
  await cli(env, ['allowlists', 'add', 'foo', '2001:db8::/32', '-d', 'v6 lab']);
  let r = await cli(env, ['allowlist', 'check', '192.168.0.1']);
  assert.deepEqual(
    [r.code, r.stdout, r.stderr],
    [0, '192.168.0.1 is allowlisted by item 192.168.0.0/28 from Uppercase, 192.168.0.0/24 from bar, 192.168.0.0/16 from foo\n', ''],
  );
  // unlike cscli, a value that is not allowlisted does not stop the loop
  r = await cli(env, ['allowlists', 'check', '10.1.2.3', '192.168.200.1', '192.168.0.0/20', '2001:db8:1::1', '8.8.8.8']);
  assert.equal(
    r.stdout,
    [
      '10.1.2.3 is not allowlisted',
      '192.168.200.1 is allowlisted by item 192.168.0.0/16 from foo',
      '192.168.0.0/20 is allowlisted by item 192.168.0.0/28 from Uppercase, 192.168.0.0/24 from bar, 192.168.0.0/16 from foo',
      '2001:db8:1::1 is allowlisted by item 2001:db8::/32 from foo (v6 lab)',
      '8.8.8.8 is not allowlisted',
      '',
    ].join('\n'),
  );
  r = await cli(env, ['allowlists', 'check', '192.168.200.1', '8.8.8.8', '-o', 'json']);
  assert.deepEqual(JSON.parse(r.stdout), [
    { value: '192.168.200.1', allowlisted: true, reasons: ['192.168.0.0/16 from foo'] },
    { value: '8.8.8.8', allowlisted: false, reasons: [] },
  ]);
  r = await cli(env, ['allowlists', 'check', '8.8.8.8', 'bad', '1.1.1.1/2/3']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', "Error: lapis allowlists check: invalid ip address 'bad'\n"]);
  r = await cli(env, ['allowlists', 'check']);
  assert.deepEqual([r.code, r.stderr], [1, 'Error: lapis allowlists check: requires at least 1 arg(s), only received 0\n']);
  assert.deepEqual(await withEnvDb(env, (db) => allowlistsCheck(db, ['10.0.0.1'])), [{ value: '10.0.0.1', reasons: [] }]);
});
