import type { Kysely } from 'kysely';
import { bigText, idColumn, keyType } from '../dialect.js';

/** Foundation: machines, bouncers and instance settings. Frozen once merged. */
export async function up(db: Kysely<any>): Promise<void> {
  const key = keyType(db);
  await idColumn(db, db.schema.createTable('machines'))
    .addColumn('machine_id', key, (c) => c.notNull().unique())
    .addColumn('password', 'text', (c) => c.notNull())
    .addColumn('ip_address', key, (c) => c.notNull().defaultTo(''))
    .addColumn('scenarios', bigText(db), (c) => c.notNull())
    .addColumn('version', key, (c) => c.notNull().defaultTo(''))
    .addColumn('is_validated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('auth_type', key, (c) => c.notNull().defaultTo('password'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('last_push', 'bigint')
    .addColumn('last_heartbeat', 'bigint')
    .addColumn('os_name', key, (c) => c.notNull().defaultTo(''))
    .addColumn('os_family', key, (c) => c.notNull().defaultTo(''))
    .addColumn('os_version', key, (c) => c.notNull().defaultTo(''))
    .addColumn('feature_flags', 'text', (c) => c.notNull())
    .addColumn('hubstate', 'text', (c) => c.notNull())
    .addColumn('datasources', 'text', (c) => c.notNull())
    .execute();

  await idColumn(db, db.schema.createTable('bouncers'))
    .addColumn('name', key, (c) => c.notNull().unique())
    .addColumn('api_key', keyType(db, 128), (c) => c.notNull())
    .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('ip_address', key, (c) => c.notNull().defaultTo(''))
    .addColumn('type', key, (c) => c.notNull().defaultTo(''))
    .addColumn('version', key, (c) => c.notNull().defaultTo(''))
    .addColumn('last_pull', 'bigint')
    .addColumn('auth_type', key, (c) => c.notNull().defaultTo('api-key'))
    .addColumn('os_name', key, (c) => c.notNull().defaultTo(''))
    .addColumn('os_family', key, (c) => c.notNull().defaultTo(''))
    .addColumn('os_version', key, (c) => c.notNull().defaultTo(''))
    .addColumn('feature_flags', 'text', (c) => c.notNull())
    .addColumn('auto_created', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('bouncers_api_key').on('bouncers').columns(['api_key', 'ip_address']).execute();

  await db.schema
    .createTable('config_items')
    .addColumn('name', key, (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}
