import {
  Kysely,
  MysqlAdapter,
  MysqlDialect,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  sql,
  type CreateTableBuilder,
  type ColumnDataType,
  type Expression,
  type InsertQueryBuilder,
  type Compilable,
  type QueryResult,
} from 'kysely';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import type { SslOptions } from 'mysql2';
import type { ClientConfig } from 'pg';
import type { DbConfig, DbTls } from '../config/schema.js';
import { ConfigError } from '../errors.js';

type DataTypeExpression = ColumnDataType | Expression<unknown>;
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
export async function openKysely(config: DbConfig): Promise<Kysely<Tables>> {
  switch (config.type) {
    case 'sqlite': {
      if (config.db_path !== ':memory:') mkdirSync(dirname(config.db_path), { recursive: true });
      const database = openSqlite(config.db_path, { wal: config.use_wal !== false });
      return new Kysely<Tables>({ dialect: new SqliteDialect({ database }) });
    }
    case 'postgres':
    case 'postgresql':
    case 'pgx':
      return openPostgres(config);
    case 'mysql':
      return openMysql(config);
    default:
      throw new Error(`unknown database type '${String(config.type)}'`);
  }
}

/** Where and as whom PostgreSQL connections go: the pool's, and the change listener's (store/change-notices.ts). */
export function pgConnection(config: DbConfig): ClientConfig {
  return {
    // as upstream: without host and port, db_path names the socket directory
    host: config.host ?? (config.db_path.startsWith('/') && !config.db_path.endsWith('.db') ? config.db_path : '127.0.0.1'),
    port: config.port ?? 5432,
    user: config.user,
    password: config.password,
    database: config.db_name ?? 'crowdsec',
    ssl: config.tls ? pgSsl(config.tls) : false,
  };
}

async function openPostgres(config: DbConfig): Promise<Kysely<Tables>> {
  const pg = (await import('pg')).default;
  // int8 (bigint, bigserial) comes back as text by default; every value we store fits a double exactly
  pg.types.setTypeParser(20, (v: string) => Number(v));
  const pool = new pg.Pool({ ...pgConnection(config), max: config.max_open_conns });
  return new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
}

async function openMysql(config: DbConfig): Promise<Kysely<Tables>> {
  const mysql = await import('mysql2');
  const pool = mysql.createPool({
    host: config.host ?? '127.0.0.1',
    port: config.port ?? 3306,
    user: config.user,
    password: config.password,
    database: config.db_name ?? 'crowdsec',
    connectionLimit: config.max_open_conns,
    supportBigNumbers: true,
    charset: 'utf8mb4',
    ...(config.tls ? { ssl: mysqlSsl(config.tls) } : {}),
  });
  return new Kysely<Tables>({ dialect: new MysqlDialect({ pool: pool as never }) });
}

function readPem(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(
      `config: db_config.${key}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** What a TLS connection to the database presents and checks, whichever the driver. */
interface DbTlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  verifyChain: boolean;
  verifyName: boolean;
}

/**
 * libpq's sslmode meanings: `require` encrypts without checking the server (unless a CA is given: then, as
 * libpq, it checks the chain as verify-ca does), `verify-ca` checks the chain but not the name, `verify-full`
 * checks both. Without `ssl_ca_cert`, node's bundled roots are trusted. Files are read here, at open.
 */
function tlsMaterial(tls: DbTls): DbTlsMaterial {
  const ca = tls.caFile === undefined ? undefined : readPem('ssl_ca_cert', tls.caFile);
  return {
    ...(ca ? { ca } : {}),
    ...(tls.certFile ? { cert: readPem('ssl_client_cert', tls.certFile) } : {}),
    ...(tls.keyFile ? { key: readPem('ssl_client_key', tls.keyFile) } : {}),
    verifyChain: tls.mode !== 'require' || ca !== undefined,
    verifyName: tls.mode === 'verify-full',
  };
}

/** pg hands these to tls.connect, with `host` for the name check. */
function pgSsl(tls: DbTls): ConnectionOptions {
  const { verifyChain, verifyName, ...files } = tlsMaterial(tls);
  return { ...files, rejectUnauthorized: verifyChain, ...(verifyName ? {} : { checkServerIdentity: () => undefined }) };
}

/** mysql2 checks the name only when asked (`verifyIdentity`). */
function mysqlSsl(tls: DbTls): SslOptions {
  const { verifyChain, verifyName, ...files } = tlsMaterial(tls);
  return { ...files, rejectUnauthorized: verifyChain, verifyIdentity: verifyName };
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

/**
 * The column type for short strings that are compared, indexed or unique. Comparisons are by bytes on
 * every engine, as on SQLite: case-sensitive equality, and hex IP bounds that order like numbers.
 * (MySQL cannot index TEXT, and its default collation ignores case.)
 */
export function keyType(db: Kysely<any>, size = 255): DataTypeExpression {
  switch (dialectOf(db)) {
    case 'mysql':
      return sql`varchar(${sql.raw(String(size))}) character set utf8mb4 collate utf8mb4_bin`;
    case 'postgres':
      return sql`text collate "C"`;
    default:
      return 'text';
  }
}

/** Long text (serialised events): MySQL's TEXT stops at 64 KiB. */
export function bigText(db: Kysely<any>): DataTypeExpression {
  return dialectOf(db) === 'mysql' ? sql`mediumtext` : 'text';
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

/**
 * Whether a transaction was rolled back whole by the engine and may simply run again: a deadlock victim
 * (MySQL/MariaDB 1213, PostgreSQL 40P01) or a serialization failure (40001).
 */
export function isTransientConflict(err: unknown): boolean {
  const e = err as { code?: string; errno?: number };
  return e?.code === 'ER_LOCK_DEADLOCK' || e?.errno === 1213 || e?.code === '40P01' || e?.code === '40001';
}

/** Runs `write`; a unique-constraint violation becomes the error `taken()` makes, any other error passes through. */
export async function refusingDuplicates<T>(write: () => Promise<T>, taken: () => Error): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw taken();
    throw err;
  }
}

/**
 * Whether an INSERT of several rows can report them (`RETURNING`): PostgreSQL and SQLite (3.35+) can; MySQL
 * cannot, so its rows are inserted one by one where their ids are needed.
 */
export function insertReturnsRows(db: Kysely<any>): boolean {
  return dialectOf(db) !== 'mysql';
}

/** An INSERT of one row that reports the row's id once run (`insertedId`): PostgreSQL needs RETURNING, the others report it. */
export function withIdReturned(db: Kysely<any>, query: InsertQueryBuilder<any, any, any>): Compilable {
  return dialectOf(db) === 'postgres' ? query.returning('id') : query;
}

/** The id of the row an INSERT built by `withIdReturned` stored. */
export function insertedId(result: QueryResult<unknown>): number {
  const row = result.rows[0] as { id?: unknown } | undefined;
  const id = row?.id ?? result.insertId;
  if (id === undefined) throw new Error('the INSERT reported no id');
  return Number(id);
}
