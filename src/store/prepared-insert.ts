import { CompiledQuery, type Kysely } from 'kysely';
import { dialectOf, withIdReturned } from './dialect.js';
import type { Tables } from './tables.js';

/** Compiled SQL is kept for up to this many rows per statement: what agents send (one, a few); bulk imports build theirs. */
const MAX_PREPARED_ROWS = 16;

/**
 * An INSERT into `table` of rows with fixed `columns`, whose SQL is compiled by Kysely once per dialect and row
 * count, then run with each call's values: on the ingestion path, building and compiling the query cost more
 * than SQLite took to run it. Kysely lists a row's parameters in its columns' order, row after row; that is
 * checked when the SQL is made, so a Kysely that did otherwise fails loudly rather than binding values to the
 * wrong columns. Row counts above MAX_PREPARED_ROWS are compiled per call.
 */
export class PreparedInsert<T extends keyof Tables & string, C extends keyof Tables[T] & string> {
  private readonly sql = new Map<string, string>();

  constructor(
    readonly table: T,
    readonly columns: readonly C[],
  ) {}

  /** The INSERT of `rows`, each a list of values in `columns` order; with `returningId`, the new row's id is reported (one row). */
  compile(db: Kysely<Tables>, rows: readonly unknown[][], returningId = false): CompiledQuery {
    const key = `${dialectOf(db)}:${rows.length}:${returningId}`;
    let text = this.sql.get(key);
    if (text === undefined) {
      text = this.make(db, rows.length, returningId);
      if (rows.length <= MAX_PREPARED_ROWS) this.sql.set(key, text);
    }
    return CompiledQuery.raw(text, rows.length === 1 ? rows[0]! : rows.flat());
  }

  private make(db: Kysely<Tables>, n: number, returningId: boolean): string {
    // placeholders numbered in the order the values must come
    const width = this.columns.length;
    const template = Array.from({ length: n }, (_, r) => Object.fromEntries(this.columns.map((c, i) => [c, r * width + i])));
    const query = db.insertInto(this.table).values(template as never);
    const compiled = returningId ? withIdReturned(db, query).compile() : query.compile();
    if (!compiled.parameters.every((p, i) => p === i) || compiled.parameters.length !== n * width)
      throw new Error(`PreparedInsert(${this.table}): Kysely lists the parameters in another order`);
    return compiled.sql;
  }
}
