import type { Kysely } from 'kysely';
import { keyType } from '../dialect.js';

/** Leases: background jobs (retention) run on one node at a time. Frozen once merged. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('leases')
    .addColumn('name', keyType(db, 64), (c) => c.primaryKey())
    .addColumn('holder', keyType(db, 64), (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}
