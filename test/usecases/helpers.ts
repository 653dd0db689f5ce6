import type { TestContext } from 'node:test';
import { sql } from 'kysely';
import type { AppDeps } from '../../src/api/deps.js';
import { parseAlerts } from '../../src/api/schemas/alert.js';
import { openRuntime } from '../../src/runtime.js';
import { insertAlerts } from '../../src/store/alerts.js';
import type { Db } from '../../src/store/db.js';
import { tempDir, testDbConfig } from '../helpers/app.js';
import { testDialect } from '../helpers/dialect.js';
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
