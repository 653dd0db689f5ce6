import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { usingDb } from '../../src/store/db.js';
import { cli, cliEnv } from './helpers.js';

test('lapis backup: a consistent copy of the SQLite store while another process writes; refuses to overwrite; names the tool for the other engines', async (t) => {
  const env = cliEnv(t);
  const out = join(env.dir, 'copy.db');
  if (env.config.db.type !== 'sqlite') {
    const r = await cli(env, ['backup', out]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, env.config.db.type === 'mysql' ? /use mariadb-dump/ : /use pg_dump/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(existsSync(out), false);
    return;
  }
  for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) assert.equal((await cli(env, ['decisions', 'add', '-i', ip])).code, 0);
  // a writer keeps adding decisions while the copy is taken
  let writing = true;
  const writer = (async () => {
    let n = 0;
    while (writing) {
      await cli(env, ['decisions', 'add', '-i', `198.51.100.${(n++ % 250) + 1}`]);
    }
  })();
  const r = await cli(env, ['backup', out]);
  writing = false;
  await writer;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Backed up the database to .*copy\.db \(\d+\.\d MiB\) in \d+\.\d s\n$/);
  await usingDb({ ...env.config.db, db_path: out }, async (db) => {
    const ok = await sql<{ integrity_check: string }>`PRAGMA integrity_check`.execute(db);
    assert.equal(ok.rows[0]?.integrity_check, 'ok');
    const values = (await db.selectFrom('decisions').select('value').execute()).map((d) => d.value);
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) assert.ok(values.includes(ip), ip);
  });

  // an existing file is kept unless --force
  writeFileSync(join(env.dir, 'taken.db'), 'keep me');
  const refused = await cli(env, ['backup', join(env.dir, 'taken.db')]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /already exists: remove it, or use --force to replace it/);
  const forced = await cli(env, ['backup', join(env.dir, 'taken.db'), '--force', '-o', 'json']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal((JSON.parse(forced.stdout) as { file: string }).file, join(env.dir, 'taken.db'));
  // never onto the database itself
  const self = await cli(env, ['backup', env.config.db.db_path, '--force']);
  assert.equal(self.code, 1);
  assert.match(self.stderr, /is the database itself/);
});
