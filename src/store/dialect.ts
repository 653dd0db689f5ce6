import {
  Kysely,
  MysqlAdapter,
  PostgresAdapter,
  SqliteDialect,
  type CreateTableBuilder,
  type InsertQueryBuilder,
} from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DbConfig } from '../config/schema.js';
import { openSqlite } from './sqlite-driver.js';
import type { Tables } from './tables.js';

/**
 * The only module that knows which database engine is underneath.
 * Everything else in store/ is written once for every dialect.
 */
export type DialectName = 'sqlite' | 'postgres' | 'mysql';

export function dialectOf(db: Kysely<any>): DialectName {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof MysqlAdapter) return 'mysql';
  return 'sqlite';
}

/** Opens the configured database. Drivers for other engines are loaded only when configured. */
export function openKysely(config: DbConfig): Kysely<Tables> {
  switch (config.type) {
    case 'sqlite': {
      if (config.db_path !== ':memory:') mkdirSync(dirname(config.db_path), { recursive: true });
      const database = openSqlite(config.db_path);
      return new Kysely<Tables>({ dialect: new SqliteDialect({ database }) });
    }
  }
}

/** An auto-increment integer primary key. */
export function idColumn<T extends string>(db: Kysely<any>, table: CreateTableBuilder<T, never>): CreateTableBuilder<T, 'id'> {
  switch (dialectOf(db)) {
    case 'postgres':
      return table.addColumn('id', 'bigserial', (c) => c.primaryKey());
    case 'mysql':
      return table.addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement());
    default:
      return table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  }
}

/** The column type for short strings that appear in indexes or unique constraints. */
export function keyType(db: Kysely<any>, size = 255): 'text' | `varchar(${number})` {
  return dialectOf(db) === 'mysql' ? `varchar(${size})` : 'text';
}

/** Whether an error is a unique-constraint violation, whatever the engine. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; errno?: number; message?: string };
  return (
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    /UNIQUE constraint failed/.test(e?.message ?? '') ||
    e?.code === '23505' ||
    e?.code === 'ER_DUP_ENTRY'
  );
}

/** Runs an INSERT of one row and returns its generated id (PostgreSQL needs RETURNING, the others report it). */
export async function insertReturningId(db: Kysely<any>, query: InsertQueryBuilder<any, any, any>): Promise<number> {
  if (dialectOf(db) === 'postgres') return Number((await query.returning('id').executeTakeFirstOrThrow()).id);
  return Number((await query.executeTakeFirstOrThrow()).insertId);
}
