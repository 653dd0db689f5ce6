import type { Transaction } from 'kysely';
import type { Db } from './db.js';
import type { Tables } from './tables.js';

/** The rows of `counters`: `decisions` is the change sequence of decisions, `allowlists` the allowlists version. */
export type CounterName = 'decisions' | 'allowlists';

/** Adds one to a counter. Its row stays locked until the transaction commits, so writers commit in counter order. */
export async function incrementCounter(trx: Transaction<Tables>, name: CounterName): Promise<void> {
  await trx
    .updateTable('counters')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', name)
    .execute();
}

/** A counter's value (0 if its row is missing). */
export async function readCounter(db: Db, name: CounterName): Promise<number> {
  const row = await db.selectFrom('counters').select('value').where('name', '=', name).executeTakeFirst();
  return Number(row?.value ?? 0);
}
