import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decisionsAdd } from '../../../src/cli/decisions/add.js';
import { pageItems } from '../../../src/store/allowlist-items.js';
import { getAllowlistByName } from '../../../src/store/allowlists.js';
import { cli, cliEnv, withEnvDb } from '../helpers.js';
import { activeValues, snapshot } from './helpers.js';

test('allowlists import: a CSV with value, expiration and comment; every row checked first; decisions covered end', async (t) => {
  const env = cliEnv(t);
  assert.equal((await cli(env, ['allowlists', 'create', 'foo', '-d', 'x'])).code, 0);
  await withEnvDb(env, (db) => decisionsAdd(db, { ip: '203.0.113.7' }));
  const file = (name: string, text: string) => {
    const p = join(env.dir, name);
    writeFileSync(p, text);
    return p;
  };
  const before = await snapshot(env);
  for (const [text, message] of [
    ['value,expiration,comment\n', 'no values to import'],
    ['value,expiration\n1.2.3.4,\n,1d\n', "row 2: missing 'value'"],
    ['value,expiration\n1.2.3.4,toto\n', 'row 1: invalid expiration "toto"'],
    ['value\n1.2.3.4\nbad-apple\n', "row 2: invalid ip address 'bad-apple'"],
    [
      'value,expiration,comment\n1.2.3.4,,ok\n5.6.7.8,1d,"unterminated\n',
      'unable to parse csv: parse error on line 3: extraneous or missing " in quoted-field',
    ],
    ['value,comment\r\n1.2.3.4,"ab"c\r\n', 'unable to parse csv: parse error on line 2: extraneous or missing " in quoted-field'],
  ] as const) {
    const r = await cli(env, ['allowlists', 'import', 'foo', '-i', file('bad.csv', text)]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `Error: lapis allowlists import: ${message}\n`]);
  }
  assert.equal(await snapshot(env), before);
  assert.equal(
    (await cli(env, ['allowlists', 'import', 'foo'])).stderr,
    'Error: lapis allowlists import: required flag(s) "input" not set\n',
  );
  assert.equal(
    (await cli(env, ['allowlists', 'import', 'nope', '-i', file('x.csv', 'value\n1.2.3.4\n')])).stderr,
    "Error: lapis allowlists import: allowlist 'nope' not found\n",
  );

  const ok = await cli(env, [
    'allowlists',
    'import',
    'foo',
    '-i',
    file('ok.csv', 'value,expiration,comment\n1.2.3.4,,office\n203.0.113.0/24,1d12h,lab\n2001:db8::/32,7d,lab\n'),
  ]);
  assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, 'added 3 values to allowlist foo\n1 decisions deleted by allowlists\n', '']);
  const again = await cli(env, ['allowlists', 'import', 'foo', '-i', file('ok.csv', 'value\n1.2.3.4\n')]);
  assert.deepEqual([again.code, again.stdout, again.stderr], [0, 'no new values for allowlist\n', 'value 1.2.3.4 already in allowlist\n']);
  const items = await withEnvDb(env, async (db) => pageItems(db, (await getAllowlistByName(db, 'foo'))!.id, 0, 10, Date.now()));
  assert.deepEqual(
    items.map((i) => [i.value, i.description, i.expiresAt === null ? 'never' : Math.round((i.expiresAt - i.createdAt) / 3600_000)]),
    [
      ['1.2.3.4', 'office', 'never'],
      ['203.0.113.0/24', 'lab', 36],
      ['2001:db8::/32', 'lab', 168],
    ],
  );
  assert.deepEqual(await activeValues(env), []);
});

test('allowlists import reads CSV as Go does: quoted commas, doubled quotes, CRLF', async (t) => {
  const env = cliEnv(t);
  assert.equal((await cli(env, ['allowlists', 'create', 'foo', '-d', 'x'])).code, 0);
  const p = join(env.dir, 'q.csv');
  writeFileSync(p, 'value,expiration,comment\r\n1.2.3.4,7d,"office, HQ"\r\n"5.6.7.8",,"the ""lab"""\r\n');
  const r = await cli(env, ['allowlists', 'import', 'foo', '-i', p]);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'added 2 values to allowlist foo\n', '']);
  const items = await withEnvDb(env, async (db) => pageItems(db, (await getAllowlistByName(db, 'foo'))!.id, 0, 10, Date.now()));
  assert.deepEqual(
    items.map((i) => [i.value, i.description, i.expiresAt === null ? 'never' : Math.round((i.expiresAt - i.createdAt) / 3600_000)]),
    [
      ['1.2.3.4', 'office, HQ', 168],
      ['5.6.7.8', 'the "lab"', 'never'],
    ],
  );
});
