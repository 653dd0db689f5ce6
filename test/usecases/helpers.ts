import type { TestContext } from 'node:test';
import { sql } from 'kysely';
import type { AppDeps } from '../../src/api/deps.js';
import { parseAlerts } from '../../src/api/schemas/alert.js';
import { openRuntime } from '../../src/runtime.js';
import { insertAlerts } from '../../src/store/alerts.js';
import type { Db } from '../../src/store/db.js';
import { tempDir, testDbConfig } from '../helpers/app.js';
import { testDialect, type TestDialect } from '../helpers/dialect.js';
import { cscliAlert } from '../helpers/actors.js';

/** Everything runtime.ts builds, on a fresh database of the run's engine, closed when the test ends. No HTTP. */
export async function openTestDeps(t: TestContext): Promise<AppDeps> {
  const runtime = await openRuntime(testDbConfig(tempDir(t)));
  t.after(() => runtime.close());
  return runtime.deps;
}

/** `cscli decisions add` for each value, written straight to the store and settled. */
export async function addDecisions(deps: AppDeps, ...values: string[]): Promise<void> {
  const now = Date.now();
  await insertAlerts(
    deps.db,
    parseAlerts(
      values.map((v) => cscliAlert(v)),
      now,
    ),
    null,
    now,
  );
  await deps.settle('decisions');
}

/** The failure injections below are SQLite triggers; the other engines skip the tests that use them. */
export const sqliteOnly = testDialect() === 'sqlite' ? false : 'the failure is injected with a SQLite trigger';

/**
 * Makes every UPDATE of `table` fail with `message`, as a full disk or a lost connection would, until the
 * returned function is called. Our store is never mocked: the real one fails.
 */
export async function failUpdates(db: Db, table: string, message: string): Promise<() => Promise<void>> {
  const name = `fail_${table}`;
  await sql.raw(`CREATE TRIGGER ${name} BEFORE UPDATE ON ${table} BEGIN SELECT RAISE(ABORT, '${message}'); END`).execute(db);
  return async () => {
    await sql.raw(`DROP TRIGGER ${name}`).execute(db);
  };
}

/**
 * Makes every `op` (INSERT or UPDATE) of a row of `table` fail with `message`, or only of the rows whose `column`
 * holds `value`: a trigger, on every engine, as a row the database refuses would. Undone by the returned function.
 */
export async function failRows(
  db: Db,
  table: string,
  op: 'INSERT' | 'UPDATE',
  message: string,
  where?: { column: string; value: string },
): Promise<() => Promise<void>> {
  const name = `fail_${op.toLowerCase()}_${table}`;
  const cond = where ? `NEW.${where.column} = '${where.value.replace(/'/g, "''")}'` : '';
  const statements: Record<TestDialect, string[]> = {
    sqlite: [`CREATE TRIGGER ${name} BEFORE ${op} ON ${table} ${cond && `WHEN ${cond}`} BEGIN SELECT RAISE(ABORT, '${message}'); END`],
    postgres: [
      `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${message}'; END $$`,
      `CREATE TRIGGER ${name} BEFORE ${op} ON ${table} FOR EACH ROW ${cond && `WHEN (${cond})`} EXECUTE FUNCTION ${name}()`,
    ],
    mysql: [
      `CREATE TRIGGER ${name} BEFORE ${op} ON ${table} FOR EACH ROW BEGIN IF ${cond || 'TRUE'} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${message}'; END IF; END`,
    ],
  };
  const dialect = testDialect();
  for (const s of statements[dialect]) await sql.raw(s).execute(db);
  return async () => {
    await sql.raw(dialect === 'postgres' ? `DROP TRIGGER ${name} ON ${table}` : `DROP TRIGGER ${name}`).execute(db);
    if (dialect === 'postgres') await sql.raw(`DROP FUNCTION ${name}()`).execute(db);
  };
}

/** Commit failures are injected with a deferred constraint, which MySQL lacks. */
export const noDeferredConstraints = testDialect() === 'mysql' ? 'MySQL has no deferred constraints to fail a commit with' : false;

/**
 * Makes the COMMIT of any transaction that inserted an alert whose scenario is `scenario` fail, while every
 * statement before it succeeds: a deferred constraint (a foreign key on SQLite, a constraint trigger on
 * PostgreSQL) that the row breaks, checked only at commit. Undone by the returned function.
 */
export async function failCommitsOf(db: Db, scenario: string): Promise<() => Promise<void>> {
  const name = `fail_commit_${scenario.replace(/\W/g, '_')}`;
  const quoted = `'${scenario.replace(/'/g, "''")}'`;
  const dialect = testDialect();
  const statements =
    dialect === 'postgres'
      ? [
          `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'deferred check failed at commit'; END $$`,
          `CREATE CONSTRAINT TRIGGER ${name} AFTER INSERT ON alerts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.scenario = ${quoted}) EXECUTE FUNCTION ${name}()`,
        ]
      : [
          `CREATE TABLE ${name}_parent (id INTEGER PRIMARY KEY)`,
          `CREATE TABLE ${name}_child (parent INTEGER REFERENCES ${name}_parent(id) DEFERRABLE INITIALLY DEFERRED)`,
          `CREATE TRIGGER ${name} AFTER INSERT ON alerts WHEN NEW.scenario = ${quoted} BEGIN INSERT INTO ${name}_child VALUES (1); END`,
        ];
  if (dialect === 'mysql') throw new Error(String(noDeferredConstraints));
  for (const s of statements) await sql.raw(s).execute(db);
  return async () => {
    if (dialect === 'postgres') {
      await sql.raw(`DROP TRIGGER ${name} ON alerts`).execute(db);
      await sql.raw(`DROP FUNCTION ${name}()`).execute(db);
    } else for (const s of [`DROP TRIGGER ${name}`, `DROP TABLE ${name}_child`, `DROP TABLE ${name}_parent`]) await sql.raw(s).execute(db);
  };
}
