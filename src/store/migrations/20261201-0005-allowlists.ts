import type { Kysely } from 'kysely';
import { idColumn, keyType } from '../dialect.js';

/**
 * Allowlists (their items and subscribers), tags on machines and bouncers, and admin API keys.
 * Frozen once merged.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const key = keyType(db);
  const id = keyType(db, 24);
  await db.schema
    .createTable('allowlists')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', keyType(db, 200), (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint')
    .execute();

  await db.schema
    .createTable('allowlist_items')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('allowlist_id', id, (c) => c.notNull().references('allowlists.id').onDelete('cascade'))
    .addColumn('value', key, (c) => c.notNull())
    .addColumn('scope', keyType(db, 8), (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .addColumn('expires_at', 'bigint')
    // bounds as in decisions: fixed-width hex, so that overlaps are found with string comparisons
    .addColumn('ip_size', 'integer', (c) => c.notNull())
    .addColumn('start_ip', keyType(db, 32), (c) => c.notNull())
    .addColumn('end_ip', keyType(db, 32), (c) => c.notNull())
    .execute();
  await db.schema.createIndex('allowlist_items_list').on('allowlist_items').columns(['allowlist_id', 'created_at']).execute();

  await db.schema
    .createTable('allowlist_subscribers')
    .addColumn('allowlist_id', id, (c) => c.notNull().references('allowlists.id').onDelete('cascade'))
    .addColumn('entity_type', keyType(db, 64), (c) => c.notNull())
    .addColumn('entity_id', key, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('allowlist_subscribers_pk', ['allowlist_id', 'entity_type', 'entity_id'])
    .execute();

  // tags on machines (kind `machine`) and bouncers (kind `bouncer`), by name: subscriptions of type `tag` match them
  await db.schema
    .createTable('entity_tags')
    .addColumn('kind', keyType(db, 16), (c) => c.notNull())
    .addColumn('name', key, (c) => c.notNull())
    .addColumn('tag', key, (c) => c.notNull())
    .addPrimaryKeyConstraint('entity_tags_pk', ['kind', 'name', 'tag'])
    .execute();

  await idColumn(db, db.schema.createTable('admin_keys'))
    .addColumn('name', key, (c) => c.notNull().unique())
    .addColumn('key_hash', keyType(db, 128), (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();

  // a bouncer's stream cursor also names the allowlists version it was served, so that any node can tell
  // which allowlist changes it has not heard of
  await db.schema.alterTable('bouncers').addColumn('stream_allowlists', 'bigint').execute();

  // bumped by every transaction that changes allowlists, subscriptions or tags: nodes reload when it moves
  await db.insertInto('counters').values({ name: 'allowlists', value: 0 }).execute();
}
