import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DbConfig } from '../../src/config/schema.js';
import { openDb } from '../../src/store/db.js';
import { dbSection, runOn, type TestDialect } from './dialect.js';

/**
 * Migrating costs more than anything a test does with the database (about 0.15 s on SQLite, 1 s on PostgreSQL,
 * 2 s on MariaDB), so a test run migrates once into a template per engine and every test app gets a clone
 * of it (helpers/dialect.ts). A template is named by one string, which scripts/run-tests.mjs hands to the test
 * processes in `LAPIS_TEST_TEMPLATE_<ENGINE>`:
 * - SQLite: the path of a migrated database file, copied for each app;
 * - PostgreSQL: the name of a migrated database, each app's being `CREATE DATABASE … TEMPLATE` it;
 * - MariaDB: the path of `mariadb-dump`'s output for a migrated database (schema and the migration table's rows),
 *   replayed into each app's database; MariaDB has no template databases, and `CREATE TABLE … LIKE` drops foreign keys.
 */
export const TEMPLATE_ENV: Record<TestDialect, string> = {
  sqlite: 'LAPIS_TEST_TEMPLATE_SQLITE',
  postgres: 'LAPIS_TEST_TEMPLATE_POSTGRES',
  mysql: 'LAPIS_TEST_TEMPLATE_MYSQL',
};

/** Makes a migrated template of `dialect`, its files in `dir`, and returns the string that names it. */
export async function createTemplate(dialect: TestDialect, dir: string): Promise<string> {
  const name = `lapis_tmpl_${randomBytes(6).toString('hex')}`;
  if (dialect === 'sqlite') {
    const path = join(dir, `${name}.db`);
    await migrate({ type: 'sqlite', db_path: path });
    // the driver puts the file in WAL mode; closing the last connection folds the log back into the file
    if (existsSync(`${path}-wal`)) throw new Error(`${path}: the write-ahead log outlived the connection`);
    return path;
  }
  runOn(dialect, `CREATE DATABASE ${name}`);
  try {
    await migrate(dbSection(dialect, name));
    if (dialect === 'postgres') return name;
    const dump = execFileSync('mariadb-dump', ['-h', '127.0.0.1', '-u', 'root', '--skip-comments', '--skip-dump-date', name], {
      encoding: 'utf8',
      maxBuffer: 16 << 20,
    });
    const path = join(dir, `${name}.sql`);
    writeFileSync(path, dump);
    return path;
  } finally {
    // the dump is the template: the database it was taken from can go
    if (dialect === 'mysql') runOn(dialect, `DROP DATABASE IF EXISTS ${name}`);
  }
}

/** Drops what createTemplate left on a server: a PostgreSQL template database (files go with their directory). */
export function dropTemplate(dialect: TestDialect, template: string): void {
  if (dialect === 'postgres') runOn(dialect, `DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
}

async function migrate(section: Record<string, unknown>): Promise<void> {
  const db = await openDb({ max_open_conns: 2, decision_bulk_size: 1000, ...section } as DbConfig);
  await db.destroy();
}

// `node db-template.js <dialect>`: makes a template in a temp dir and prints its name (see templateOf in dialect.ts)
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dialect = process.argv[2] as TestDialect;
  // a PostgreSQL template is a database: nothing to keep in files
  process.stdout.write(await createTemplate(dialect, dialect === 'postgres' ? '' : mkdtempSync(join(tmpdir(), 'lapis-tmpl-'))));
}
