import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decisionsAdd } from '../../../src/cli/decisions/add.js';
import { cli, cliEnv, withEnvDb } from '../helpers.js';
import { activeValues } from './helpers.js';

test('decisions add and import skip values allowlisted by a list that has a subscriber, unless --bypass-allowlist', async (t) => {
  const env = cliEnv(t);
  await cli(env, ['allowlist', 'create', 'foo', '-d', 'a foo']);
  await cli(env, ['allowlist', 'add', 'foo', '192.168.0.0/16']);

  const refused = (v: string) =>
    `Error: lapis decisions add: ${v} is allowlisted by item 192.168.0.0/16 from foo, use --bypass-allowlist to add the decision anyway\n`;
  let r = await cli(env, ['decisions', 'add', '-i', '192.168.1.1']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', refused('192.168.1.1')]);
  r = await cli(env, ['decisions', 'add', '-r', '192.168.10.20/24']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', refused('192.168.10.20/24')]);
  r = await cli(env, ['decisions', 'add', '--scope', 'range', '--value', '192.0.0.0/8']);
  assert.deepEqual([r.code, r.stderr], [1, refused('192.0.0.0/8')]);
  r = await cli(env, ['decisions', 'add', '--scope', 'ip', '--value', '::ffff:192.168.3.3']);
  assert.deepEqual([r.code, r.stderr], [1, refused('::ffff:192.168.3.3')]);
  assert.deepEqual(await activeValues(env), []);

  r = await cli(env, ['decisions', 'add', '-i', '192.168.1.1', '--bypass-allowlist']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', 'Decision successfully added\n']);
  r = await cli(env, ['decisions', 'add', '-r', '192.168.10.20/24', '-B']);
  assert.deepEqual([r.code, r.stderr], [0, 'Decision successfully added\n']);
  // other scopes are not checked
  r = await cli(env, ['decisions', 'add', '--scope', 'username', '--value', '192.168.1.1']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await activeValues(env), ['192.168.1.1', '192.168.1.1', '192.168.10.20/24']);
  await assert.rejects(
    withEnvDb(env, (db) => decisionsAdd(db, { ip: '192.168.7.7' })),
    { message: refused('192.168.7.7').slice('Error: lapis decisions add: '.length, -1) },
  );
  assert.ok((await withEnvDb(env, (db) => decisionsAdd(db, { ip: '192.168.7.7', bypassAllowlist: true }))) > 0);

  // a list without subscribers applies nowhere
  await cli(env, ['allowlist', 'create', 'idle', '-d', 'nobody', '--no-subscribe']);
  await cli(env, ['allowlist', 'add', 'idle', '172.16.0.0/12']);
  r = await cli(env, ['decisions', 'add', '-i', '172.16.0.1']);
  assert.deepEqual([r.code, r.stderr], [0, 'Decision successfully added\n']);

  const values = join(env.dir, 'ips.txt');
  writeFileSync(values, '192.168.1.1\n');
  r = await cli(env, ['decisions', 'import', '-i', values, '--format', 'values']);
  assert.deepEqual(
    [r.code, r.stdout, r.stderr],
    [0, 'Parsing values\nValue 192.168.1.1 is allowlisted by [192.168.0.0/16 from foo]\nImported 0 decisions', ''],
  );
  // a lowercase scope is still an IP scope; reasons are printed as Go prints a list
  await cli(env, ['allowlist', 'create', 'bar', '-d', 'b']);
  await cli(env, ['allowlist', 'add', 'bar', '192.168.0.0/24', '-d', 'office']);
  const csv = join(env.dir, 'd.csv');
  writeFileSync(csv, 'value,scope\n192.168.0.0/24,range\n10.0.0.1,ip\n172.16.0.9,ip\nbob,username\n');
  r = await cli(env, ['decisions', 'import', '-i', csv]);
  assert.deepEqual(
    [r.code, r.stdout, r.stderr],
    [
      0,
      'Parsing csv\nValue 192.168.0.0/24 is allowlisted by [192.168.0.0/24 from bar (office) 192.168.0.0/16 from foo]\nImported 3 decisions',
      '',
    ],
  );
  r = await cli(env, ['decisions', 'import', '-i', values, '--format', 'values', '--bypass-allowlist']);
  assert.deepEqual([r.code, r.stdout], [0, 'Parsing values\nImported 1 decisions']);
  r = await cli(env, ['decisions', 'import', '-i', values, '--format', 'values', '-B']);
  assert.equal(r.stdout, 'Parsing values\nImported 1 decisions');
});
