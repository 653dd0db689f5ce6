import type { Kysely } from 'kysely';
import { bigText, idColumn, keyType } from '../dialect.js';

/** Usage metrics sent by agents and bouncers (`POST /v1/usage-metrics`). Frozen once merged. */
export async function up(db: Kysely<any>): Promise<void> {
  await idColumn(db, db.schema.createTable('metrics'))
    .addColumn('generated_type', keyType(db, 8), (c) => c.notNull())
    .addColumn('generated_by', keyType(db), (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('pushed_at', 'bigint')
    .addColumn('payload', bigText(db), (c) => c.notNull())
    .execute();
  await db.schema.createIndex('metrics_received_at').on('metrics').columns(['received_at']).execute();
}
