import { sql, type Kysely, type Transaction } from 'kysely';
import type { DbConfig } from '../config/schema.js';
import { openKysely } from './dialect.js';
import { migrateToLatest } from './migrate.js';
import type { Tables } from './tables.js';

/** What every store function takes: the database, or a transaction (a Kysely `Transaction` is a `Kysely`). */
export type Db = Kysely<Tables>;

/**
 * Opens the configured database and applies pending migrations. A failure to connect (refused, TLS,
 * authentication) is reported as such rather than as a failed migration.
 */
export async function openDb(config: DbConfig): Promise<Db> {
  const db = await openKysely(config);
  try {
    try {
      await sql`select 1`.execute(db);
    } catch (err) {
      throw new Error(`db_config: cannot connect to the database: ${(err as Error).message}`, { cause: err });
    }
    await migrateToLatest(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return db;
}

/** Opens the database for the length of `fn`, as the CLI does for each command. */
export async function usingDb<T>(config: DbConfig, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(config);
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

/** Runs `fn` in `db` if it is already a transaction (the caller's, which commits it), else in a new one. */
export function inTransaction<T>(db: Db, fn: (trx: Transaction<Tables>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Transaction<Tables>) : db.transaction().execute(fn);
}
