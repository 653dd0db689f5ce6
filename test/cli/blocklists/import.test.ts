import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { blocklistsImport } from '../../../src/cli/blocklists/import.js';
import { progressBar } from '../../../src/cli/progress.js';
import { getBlocklistByName } from '../../../src/store/blocklists.js';
import { liveItemCounts } from '../../../src/store/blocklist-items.js';
import { cli, cliEnv, runMain, withEnvDb } from '../helpers.js';
import { assertRefusals, snapshot, valuesOf } from './helpers.js';

test('blocklists import: comments and blank lines skipped, invalid lines reported one each, the rest imported; --replace', async (t) => {
  const env = cliEnv(t);
  assert.equal((await cli(env, ['blocklists', 'create', 'drop'])).code, 0);
  const file = (name: string, text: string) => {
    const p = join(env.dir, name);
    writeFileSync(p, text);
    return p;
  };
  const feed = file(
    'drop.txt',
    [
      '; Spamhaus DROP List',
      '# a FireHOL-style comment',
      '',
      '1.10.16.0/20 ; SBL256894',
      '192.0.2.7\t# scanner',
      'not-an-ip',
      '  203.0.113.0/24',
      '2001:db8::/32',
      '10.0.0.1/8',
      '999.1.1.1',
      '192.0.2.7',
      '',
    ].join('\r\n'),
  );
  let r = await cli(env, ['blocklists', 'import', 'drop', '-i', feed]);
  assert.deepEqual(
    [r.code, r.stdout, r.stderr],
    [
      0,
      "Imported 5 values (5 added, 0 updated, 2 invalid) into blocklist 'drop'\n",
      "line 6: invalid IP or CIDR 'not-an-ip'\nline 10: invalid IP or CIDR '999.1.1.1'\n",
    ],
  );
  assert.deepEqual(await valuesOf(env, 'drop'), ['1.10.16.0/20', '10.0.0.0/8', '192.0.2.7', '203.0.113.0/24', '2001:db8::/32']);
  // again with an expiration: every value is there, each takes it
  r = await cli(env, ['blocklists', 'import', 'drop', '-i', feed, '-e', '7d', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { blocklist: 'drop', values: 5, added: 0, updated: 5, invalid: 2 });

  r = await cli(env, ['blocklists', 'import', 'drop', '--replace', '-i', file('new.txt', '192.0.2.7\n198.51.100.1\n')]);
  assert.deepEqual(
    [r.code, r.stdout, r.stderr],
    [0, "Imported 2 values (1 added, 1 updated, 4 removed, 0 invalid) into blocklist 'drop'\n", ''],
  );
  assert.deepEqual(await valuesOf(env, 'drop'), ['192.0.2.7', '198.51.100.1']);

  const before = await snapshot(env);
  await assertRefusals(env, 'blocklists', 'import', [
    [['blocklists', 'import', 'drop'], 'required flag(s) "input" not set'],
    [
      ['blocklists', 'import', 'drop', '-i', join(env.dir, 'missing.txt')],
      `open ${join(env.dir, 'missing.txt')}: no such file or directory`,
    ],
    [['blocklists', 'import', 'nope', '-i', feed], "blocklist 'nope' not found"],
    [['blocklists', 'import', 'lapi', '-i', feed], "blocklist 'lapi' is read-only: it holds this instance's decisions"],
    [
      ['blocklists', 'import', 'drop', '-i', file('junk.txt', '# only junk\n<html>\nnope\n')],
      "no valid IP or CIDR to import (2 invalid lines, first at line 2: '<html>')",
    ],
    [['blocklists', 'import', 'drop', '-i', file('empty.txt', '# nothing\n\n')], 'no valid IP or CIDR to import (0 invalid lines)'],
    [
      ['blocklists', 'import', 'drop', '--replace', '-i', file('mostly.txt', '1.2.3.4\nx\ny\n')],
      "refusing to replace the content of blocklist 'drop': 2 of 3 lines invalid, first at line 2: 'x'",
    ],
    [
      ['blocklists', 'import', 'drop', '-i', feed, '-e', 'later'],
      'invalid argument "later" for "-e, --expiration" flag: time: invalid duration "later"',
    ],
  ]);
  assert.equal(await snapshot(env), before);
});

test('blocklists import of 45,000 values: three transactions of at most 20,000, progress reported per batch', async (t) => {
  const env = cliEnv(t);
  assert.equal((await cli(env, ['blocklists', 'create', 'big'])).code, 0);
  const lines = ['# 45,000 addresses'];
  for (let i = 0; i < 45_000; i++) lines.push(`100.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
  const text = `${lines.join('\n')}\n`;
  const seen: [number, number][] = [];
  const r = await withEnvDb(env, (db) => blocklistsImport(db, 'big', text, { progress: (d, n) => seen.push([d, n]) }));
  assert.deepEqual({ ...r, invalid: r.invalid.length }, { values: 45_000, added: 45_000, updated: 0, removed: 0, invalid: 0 });
  assert.deepEqual(seen, [
    [20_000, 45_000],
    [40_000, 45_000],
    [45_000, 45_000],
  ]);
  const list = (await withEnvDb(env, (db) => getBlocklistByName(db, 'big')))!;
  assert.equal(list.contentVersion, 3);
  assert.equal((await withEnvDb(env, (db) => liveItemCounts(db, [list.id], Date.now()))).get(list.id), 45_000);
  const dl = await cli(env, ['blocklists', 'download', 'big']);
  assert.equal(dl.stdout.split('\n').length - 1, 45_000);
});

test('progressBar: drawn in place on a terminal only, ended by a newline', () => {
  let out = '';
  const tty = { isTTY: true, write: (s: string) => (out += s) };
  const bar = progressBar(tty, 'importing', 45_000);
  bar.update(20_000);
  bar.update(45_000);
  bar.done();
  assert.equal(out, `\rimporting [${'#'.repeat(13)}${'.'.repeat(17)}] 20000/45000 44%\rimporting [${'#'.repeat(30)}] 45000/45000 100%\n`);
  let piped = '';
  const p = progressBar({ write: (s: string) => (piped += s) }, 'importing', 10);
  p.update(10);
  p.done();
  assert.equal(piped, '');
});

test('blocklists create and import as real processes: stdout the summary, stderr only the invalid lines (no progress bar on a pipe)', async (t) => {
  const env = cliEnv(t);
  const c = await runMain(['blocklists', 'create', 'spawned', '-d', 'x', '-c', env.configPath]);
  assert.deepEqual([c.code, c.stdout, c.stderr], [0, "blocklist 'spawned' created successfully\n", '']);
  const p = join(env.dir, 'in.txt');
  writeFileSync(p, '# list\n192.0.2.1\nbogus\n2001:db8::/48\n');
  const r = await runMain(['blocklists', 'import', 'spawned', '-i', p, '-c', env.configPath]);
  assert.deepEqual(
    [r.code, r.stdout, r.stderr],
    [0, "Imported 2 values (2 added, 0 updated, 1 invalid) into blocklist 'spawned'\n", "line 3: invalid IP or CIDR 'bogus'\n"],
  );
  const bad = await runMain(['blocklists', 'import', 'nope', '-i', p, '-c', env.configPath]);
  assert.deepEqual([bad.code, bad.stdout, bad.stderr], [1, '', "Error: lapis blocklists import: blocklist 'nope' not found\n"]);
  assert.deepEqual(await valuesOf(env, 'spawned'), ['192.0.2.1', '2001:db8::/48']);
});
