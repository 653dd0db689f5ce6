import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli, cliEnv } from '../helpers.js';
import { assertRefusals } from './helpers.js';

test('allowlists remove: only values present, no newline after the count, invalid values refused', async (t) => {
  const env = cliEnv(t);
  await assertRefusals(env, 'remove', [
    [['allowlist', 'remove'], 'requires at least 2 arg(s), only received 0'],
    [['allowlist', 'remove', 'foo'], 'requires at least 2 arg(s), only received 1'],
    [['allowlist', 'remove', 'foo', '1.2.3.4'], "allowlist 'foo' not found"],
  ]);
  await cli(env, ['allowlist', 'create', 'foo', '-d', 'a foo']);
  let r = await cli(env, ['allowlist', 'remove', 'foo', '1.2.3.4']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'no value to remove from allowlist\n', '']);
  await cli(env, ['allowlist', 'add', 'foo', '1.2.3.4', '5.6.7.8', '10.0.0.0/24']);
  r = await cli(env, ['allowlist', 'remove', 'foo', '1.2.3.4']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'removed 1 values from allowlist foo', '']);
  r = await cli(env, ['allowlist', 'remove', 'foo', 'bad', '5.6.7.8']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', "Error: lapis allowlists remove: invalid ip address 'bad'\n"]);
  r = await cli(env, ['allowlist', 'remove', 'foo', '1.2.3.4', '5.6.7.8', '10.0.0.7/24']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'removed 2 values from allowlist foo', '']);
  const json = JSON.parse((await cli(env, ['allowlist', 'inspect', 'foo', '-o', 'json'])).stdout) as Record<string, unknown>;
  assert.deepEqual(json.items, []);
  assert.equal(json.description, 'a foo');
});
