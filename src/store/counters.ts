import type { Transaction } from 'kysely';
import { commitNotice } from './change-notices.js';
import type { Db } from './db.js';
import type { Tables } from './tables.js';

/** The rows of `counters`: `decisions` is the change sequence of decisions, `allowlists` the allowlists version. */
export type CounterName = 'decisions' | 'allowlists';

/**
 * Adds one to a counter. Its row stays locked until the transaction commits, so writers commit in counter order.
 * On PostgreSQL the same statement queues a notice of it, which listening nodes hear at commit (change-notices.ts).
 */
export async function incrementCounter(trx: Transaction<Tables>, name: CounterName): Promise<void> {
  const update = trx
    .updateTable('counters')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', name);
  const notice = commitNotice(trx, name);
  await (notice ? update.returning(notice.as('notified')) : update).execute();
}

/** A counter's value (0 if its row is missing). */
export async function readCounter(db: Db, name: CounterName): Promise<number> {
  const row = await db.selectFrom('counters').select('value').where('name', '=', name).executeTakeFirst();
  return Number(row?.value ?? 0);
}
