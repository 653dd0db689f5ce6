import { createRequire } from 'node:module';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * The one seam between Kysely's SqliteDialect and a SQLite binding.
 * Node ≥ 22.5 ships `node:sqlite`; Node 20 uses `better-sqlite3@12` (an optional dependency:
 * 13 segfaults on Node 20, and 12 aborts intermittently on Node 24 during GC, so it is never
 * preferred where the built-in exists).
 */
export interface SqliteHandle extends SqliteDatabase {
  /** Runs a statement with no result (PRAGMA, BEGIN…). */
  exec(sql: string): void;
  readonly driverName: 'node:sqlite' | 'better-sqlite3';
}

const require = createRequire(import.meta.url);

function hasBuiltinSqlite(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 5);
}

/**
 * Opens (creating if needed) a SQLite file with a busy timeout and foreign keys on, in WAL mode unless
 * `wal` is false (`db_config.use_wal: false`: then the rollback journal, DELETE, which a WAL file is turned back to).
 */
export function openSqlite(path: string, opts: { busyTimeoutMs?: number; wal?: boolean } = {}): SqliteHandle {
  const { busyTimeoutMs = 5000, wal = true } = opts;
  const handle = hasBuiltinSqlite() ? openBuiltin(path) : openBetterSqlite(path);
  if (path !== ':memory:') handle.exec(`PRAGMA journal_mode = ${wal ? 'WAL' : 'DELETE'}`);
  handle.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  handle.exec('PRAGMA foreign_keys = ON');
  handle.exec('PRAGMA synchronous = NORMAL');
  return handle;
}

type Param = unknown;

/**
 * Kysely opens transactions with a plain `begin` (deferred). Deferred transactions that later write can
 * fail at once with SQLITE_BUSY when another process (the CLI, another writer) holds the lock, ignoring
 * the busy timeout; `BEGIN IMMEDIATE` takes the write lock up front and waits for it instead.
 */
function rewrite(sql: string): string {
  return sql === 'begin' ? 'BEGIN IMMEDIATE' : sql;
}

/** Prepared statements are reused: Kysely prepares on every call, and preparing is a large share of a small query. */
function statementCache<S>(prepare: (sql: string) => S, max = 500): (sql: string) => S {
  const cache = new Map<string, S>();
  return (sql) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      stmt = prepare(rewrite(sql));
      cache.set(sql, stmt);
    }
    return stmt;
  };
}

/** SQLite bindings refuse booleans; both drivers get 0/1 instead. */
function bindable(params: readonly Param[]): Param[] {
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

function openBetterSqlite(path: string): SqliteHandle {
  let Database: new (
    file: string,
  ) => {
    prepare(sql: string): {
      reader: boolean;
      all(...p: Param[]): unknown[];
      run(...p: Param[]): { changes: number | bigint; lastInsertRowid: number | bigint };
      iterate(...p: Param[]): IterableIterator<unknown>;
    };
    exec(sql: string): void;
    close(): void;
  };
  try {
    Database = require('better-sqlite3');
  } catch (err) {
    throw new Error(`SQLite needs Node >= 22.5 or the optional dependency better-sqlite3@12 (${(err as Error).message})`);
  }
  const db = new Database(path);
  const cached = statementCache((sql) => db.prepare(sql));
  return {
    driverName: 'better-sqlite3',
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
    prepare(sql): SqliteStatement {
      const stmt = cached(sql);
      return {
        reader: stmt.reader,
        all: (p) => stmt.all(...bindable(p)),
        run: (p) => stmt.run(...bindable(p)),
        iterate: (p) => stmt.iterate(...bindable(p)),
      };
    },
  };
}

interface NodeStatement {
  columns?: () => unknown[];
  all(...p: Param[]): unknown[];
  run(...p: Param[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(...p: Param[]): IterableIterator<unknown>;
}

// Node < 22.16 has no StatementSync#columns(); fall back on the statement's shape.
const READER_SQL = /^\s*(select|with|pragma|values|explain)\b|\breturning\b/i;

function openBuiltin(path: string): SqliteHandle {
  const { DatabaseSync } = require('node:sqlite') as {
    DatabaseSync: new (
      file: string,
    ) => {
      prepare(sql: string): NodeStatement;
      exec(sql: string): void;
      close(): void;
    };
  };
  const db = new DatabaseSync(path);
  const cached = statementCache((sql) => {
    const stmt = db.prepare(sql);
    const reader = typeof stmt.columns === 'function' ? stmt.columns().length > 0 : READER_SQL.test(sql);
    return { stmt, reader };
  });
  return {
    driverName: 'node:sqlite',
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
    prepare(sql): SqliteStatement {
      const { stmt, reader } = cached(sql);
      return {
        reader,
        all: (p) => stmt.all(...bindable(p)),
        run: (p) => stmt.run(...bindable(p)),
        iterate: (p) => stmt.iterate(...bindable(p)),
      };
    },
  };
}
