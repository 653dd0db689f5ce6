import { CompiledQuery, type Kysely } from 'kysely';
import { dialectOf, withIdReturned } from './dialect.js';
import type { Tables } from './tables.js';

/**
 * Compiled SQL is kept for up to this many rows per statement: what agents send, and the batches of a group
 * commit; bulk imports (1,000 decisions per statement) compile theirs per call, once per 1,000 rows.
 */
const MAX_PREPARED_ROWS = 64;

/**
 * What an INSERT reports: nothing; `'id'`, the id of its one row (RETURNING on PostgreSQL, the driver's insert
 * id elsewhere: read it with dialect.ts `insertedId`); or columns of every row (RETURNING, where the engine has it).
 */
export type Returning = undefined | 'id' | readonly string[];

/**
 * An INSERT into `table` of rows with fixed `columns`, whose SQL is compiled by Kysely once per dialect and row
 * count, then run with each call's values: on the ingestion path, building and compiling the query cost more
 * than SQLite took to run it. Kysely lists a row's parameters in its columns' order, row after row; that is
 * checked when the SQL is made, so a Kysely that did otherwise fails loudly rather than binding values to the
 * wrong columns.
 */
export class PreparedInsert<T extends keyof Tables & string, C extends keyof Tables[T] & string> {
  private readonly sql = new Map<string, string>();

  constructor(
    readonly table: T,
    readonly columns: readonly C[],
  ) {}

  /** The INSERT of `rows`, each a list of values in `columns` order. */
  compile(db: Kysely<Tables>, rows: readonly unknown[][], returning?: Returning): CompiledQuery {
    const key = `${dialectOf(db)}:${rows.length}:${String(returning)}`;
    let text = this.sql.get(key);
    if (text === undefined) {
      text = this.make(db, rows.length, returning);
      if (rows.length <= MAX_PREPARED_ROWS) this.sql.set(key, text);
    }
    return CompiledQuery.raw(text, rows.length === 1 ? rows[0]! : rows.flat());
  }

  private make(db: Kysely<Tables>, n: number, returning: Returning): string {
    // placeholders numbered in the order the values must come
    const width = this.columns.length;
    const template = Array.from({ length: n }, (_, r) => Object.fromEntries(this.columns.map((c, i) => [c, r * width + i])));
    const query = db.insertInto(this.table).values(template as never);
    const compiled = (returning === 'id' ? withIdReturned(db, query) : returning ? query.returning(returning as never) : query).compile();
    if (compiled.parameters.length !== n * width || !compiled.parameters.every((p, i) => p === i))
      throw new Error(`PreparedInsert(${this.table}): Kysely lists the parameters in another order`);
    return compiled.sql;
  }
}
