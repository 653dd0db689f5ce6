import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * The engine this test run uses: `LAPIS_TEST_DIALECT=sqlite|postgres|mysql` (scripts/run-tests.mjs
 * runs the whole suite once per engine that answers). PostgreSQL and MariaDB are the machine's own,
 * on 127.0.0.1 (trust / root without password); each test app gets a database of its own.
 */
export type TestDialect = 'sqlite' | 'postgres' | 'mysql';

export function testDialect(): TestDialect {
  const d = process.env.LAPIS_TEST_DIALECT ?? 'sqlite';
  if (d !== 'sqlite' && d !== 'postgres' && d !== 'mysql') throw new Error(`LAPIS_TEST_DIALECT: unknown dialect '${d}'`);
  return d;
}

const created: { dialect: TestDialect; name: string }[] = [];

function run(dialect: TestDialect, statement: string): void {
  if (dialect === 'postgres')
    execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'test', '-qAtc', statement], { stdio: 'pipe' });
  else execFileSync('mariadb', ['-h', '127.0.0.1', '-u', 'root', '-e', statement], { stdio: 'pipe' });
}

process.once('exit', () => {
  for (const { dialect, name } of created) {
    try {
      run(dialect, dialect === 'postgres' ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${name}`);
    } catch {
      // best effort: the next run's names never collide
    }
  }
});

/**
 * The `db_config` section for a fresh database on the test engine, or on `dialect` for suites that cover
 * several engines in one run (null for SQLite: the default file).
 */
export function freshDbConfig(dialect: TestDialect = testDialect()): Record<string, unknown> | null {
  if (dialect === 'sqlite') return null;
  const name = `lapis_t_${randomBytes(6).toString('hex')}`;
  run(dialect, `CREATE DATABASE ${name}`);
  created.push({ dialect, name });
  return dialect === 'postgres'
    ? { type: 'postgresql', host: '127.0.0.1', port: 5432, user: 'postgres', db_name: name, sslmode: 'disable', max_open_conns: 10 }
    : { type: 'mysql', host: '127.0.0.1', port: 3306, user: 'root', db_name: name, max_open_conns: 10 };
}
