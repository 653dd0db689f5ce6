import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli, cliEnv, withEnvDb } from './helpers.js';

/**
 * Go durations reach nanoseconds; the time columns hold whole milliseconds. A duration with a fraction
 * of a millisecond used to reach the store as `now + 3600000.5`, which PostgreSQL refuses for a bigint.
 */
test('durations with fractions of a millisecond are stored as whole milliseconds, on every engine', async (t) => {
  const env = cliEnv(t);
  const csv = join(env.dir, 'd.csv');
  writeFileSync(csv, 'value,duration,reason\n192.0.2.10,1h0.5ms,csv import\n');
  const items = join(env.dir, 'a.csv');
  writeFileSync(items, 'value,expiration,comment\n192.0.2.30,1h0.5ms,office\n');
  const runs: string[][] = [
    ['decisions', 'add', '--ip', '192.0.2.1', '--duration', '1h0.5ms'],
    ['decisions', 'import', '-i', csv],
    ['allowlists', 'create', 'office', '-d', 'x', '--no-subscribe'],
    ['allowlists', 'add', 'office', '192.0.2.20', '-e', '1h0.5ms'],
    ['allowlists', 'import', 'office', '-i', items],
  ];
  for (const argv of runs) {
    const r = await cli(env, argv);
    assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
  }
  const [untils, expiries] = await withEnvDb(env, async (db) => [
    (await db.selectFrom('decisions').select('until').execute()).map((r) => Number(r.until)),
    (await db.selectFrom('allowlist_items').select('expires_at').execute()).map((r) => Number(r.expires_at)),
  ]);
  assert.equal(untils.length, 2);
  assert.equal(expiries.length, 2);
  for (const v of [...untils, ...expiries]) assert.ok(Number.isInteger(v), `${v} is whole milliseconds`);
});
