import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { openDb } from '../../src/store/db.js';
import { tempDir, testConfig } from '../helpers/app.js';
import { testDialect } from '../helpers/dialect.js';

// SQLite only: the other engines have no journal to choose
const skip = testDialect() !== 'sqlite' && 'SQLite only';

async function journalMode(dir: string, yaml: string): Promise<string> {
  const db = await openDb(testConfig(dir, yaml).db);
  try {
    const { rows } = await sql<{ journal_mode: string }>`PRAGMA journal_mode`.execute(db);
    return rows[0]!.journal_mode;
  } finally {
    await db.destroy();
  }
}

test('db_config.use_wal: WAL when true or unset, the rollback journal when false, and a WAL file is turned back', { skip }, async (t) => {
  const dir = tempDir(t);
  assert.equal(await journalMode(dir, ''), 'wal');
  assert.equal(await journalMode(dir, 'db_config:\n  use_wal: false\n'), 'delete');
  assert.equal(await journalMode(dir, 'db_config:\n  use_wal: true\n'), 'wal');
});
