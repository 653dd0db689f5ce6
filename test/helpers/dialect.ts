import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The engine this test run uses: `LAPIS_TEST_DIALECT=sqlite|postgres|mysql` (scripts/run-tests.mjs
 * runs the whole suite once per engine that answers). PostgreSQL and MariaDB are the machine's own,
 * on 127.0.0.1 (trust / root without password); each test app gets a database of its own, cloned from
 * an already migrated template (helpers/db-template.ts).
 */
export type TestDialect = 'sqlite' | 'postgres' | 'mysql';

export function testDialect(): TestDialect {
  const d = process.env.LAPIS_TEST_DIALECT ?? 'sqlite';
  if (d !== 'sqlite' && d !== 'postgres' && d !== 'mysql') throw new Error(`LAPIS_TEST_DIALECT: unknown dialect '${d}'`);
  return d;
}

/** Runs SQL with the engine's own client; by default the first error stops it (and throws). */
export function runOn(dialect: 'postgres' | 'mysql', sql: string, stopOnError = true): void {
  if (dialect === 'postgres') {
    const args = ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'test', '-qAt', ...(stopOnError ? ['-v', 'ON_ERROR_STOP=1'] : [])];
    execFileSync('psql', args, { input: sql, stdio: 'pipe' });
  } else execFileSync('mariadb', ['-h', '127.0.0.1', '-u', 'root', ...(stopOnError ? [] : ['--force'])], { input: sql, stdio: 'pipe' });
}

/** Whether the machine's own PostgreSQL or MariaDB answers on 127.0.0.1 (scripts/run-tests.mjs asks it of each engine). */
export function engineAnswers(dialect: TestDialect): boolean {
  if (dialect === 'sqlite') return true;
  try {
    if (dialect === 'postgres')
      execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'test', '-qAtc', 'select 1'], { stdio: 'pipe', timeout: 5000 });
    else execFileSync('mariadb', ['-h', '127.0.0.1', '-u', 'root', '-e', 'select 1'], { stdio: 'pipe', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** The `db_config` section for database `name` on the machine's PostgreSQL or MariaDB. */
export function dbSection(dialect: 'postgres' | 'mysql', name: string): Record<string, unknown> {
  return dialect === 'postgres'
    ? { type: 'postgresql', host: '127.0.0.1', port: 5432, user: 'postgres', db_name: name, sslmode: 'disable', max_open_conns: 10 }
    : { type: 'mysql', host: '127.0.0.1', port: 3306, user: 'root', db_name: name, max_open_conns: 10 };
}

const created: { dialect: 'postgres' | 'mysql'; name: string }[] = [];
/** Templates this process made itself (it was not started by scripts/run-tests.mjs), dropped at exit. */
const ownTemplates: { dialect: TestDialect; name: string }[] = [];

process.once('exit', () => {
  for (const dialect of ['postgres', 'mysql'] as const) {
    const names = [
      ...created.filter((c) => c.dialect === dialect).map((c) => c.name),
      ...ownTemplates.filter((c) => c.dialect === dialect && dialect === 'postgres').map((c) => c.name),
    ];
    if (names.length === 0) continue;
    const force = dialect === 'postgres' ? ' WITH (FORCE)' : '';
    try {
      // one client for them all; each statement stands alone, so one that fails does not stop the others
      runOn(dialect, names.map((n) => `DROP DATABASE IF EXISTS ${n}${force};\n`).join(''), false);
    } catch {
      // best effort: the next run's names never collide
    }
  }
  for (const { dialect, name } of ownTemplates) if (dialect !== 'postgres') rmSync(dirname(name), { recursive: true, force: true });
});

const templates = new Map<TestDialect, string>();
let mysqlDump: string | undefined;

/**
 * The template of `dialect`: the run's (scripts/run-tests.mjs makes one per engine before the test processes
 * start), else one this process makes on first use, in a child process because cloning is synchronous.
 */
function templateOf(dialect: TestDialect): string {
  let name = templates.get(dialect) ?? process.env[`LAPIS_TEST_TEMPLATE_${dialect.toUpperCase()}`];
  if (!name) {
    const script = fileURLToPath(new URL('./db-template.js', import.meta.url));
    name = execFileSync(process.execPath, [script, dialect], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    ownTemplates.push({ dialect, name });
  }
  templates.set(dialect, name);
  return name;
}

/** Puts a migrated SQLite database at `path`, unless a database is there already (a restarted node reopens its own). */
export function cloneSqlite(path: string): void {
  if (existsSync(path)) return;
  mkdirSync(dirname(path), { recursive: true });
  copyFileSync(templateOf('sqlite'), path);
}

/**
 * The `db_config` section for a fresh database on the test engine, or on `dialect` for suites that cover several
 * engines in one run: migrated unless `migrated` is false (null for SQLite: the default file, which the caller
 * clones with cloneSqlite, or leaves to be created).
 */
export function freshDbConfig(dialect: TestDialect = testDialect(), migrated = true): Record<string, unknown> | null {
  if (dialect === 'sqlite') return null;
  const name = `lapis_t_${randomBytes(6).toString('hex')}`;
  if (!migrated) runOn(dialect, `CREATE DATABASE ${name}`);
  else if (dialect === 'postgres') runOn(dialect, `CREATE DATABASE ${name} TEMPLATE ${templateOf(dialect)}`);
  else runOn(dialect, `CREATE DATABASE ${name};\nUSE ${name};\n${(mysqlDump ??= readFileSync(templateOf(dialect), 'utf8'))}`);
  created.push({ dialect, name });
  return dbSection(dialect, name);
}
