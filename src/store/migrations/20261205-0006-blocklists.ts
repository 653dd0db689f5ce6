import type { Kysely } from 'kysely';
import { keyType } from '../dialect.js';

/**
 * Blocklists (their items and subscribers) and integrations (firewalls and remediation components that
 * read them). A blocklist subscribed where bouncers read becomes decisions (origin `lists`), so that its
 * changes reach streams through the decisions' change sequence like any other.
 * Frozen once merged.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const key = keyType(db);
  const id = keyType(db, 24);
  await db.schema
    .createTable('blocklists')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', keyType(db, 200), (c) => c.notNull().unique())
    .addColumn('label', keyType(db, 200), (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    // JSON string arrays: read back whole, never filtered on
    .addColumn('references_json', 'text', (c) => c.notNull())
    .addColumn('tags_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    // `custom` (items written through the API), `feed` (items from a URL), `lapi` (the instance's decisions, built in)
    .addColumn('kind', keyType(db, 16), (c) => c.notNull())
    // bumped by every content change: with the next expiry, what download and content ETags are made of
    .addColumn('content_version', 'bigint', (c) => c.notNull())
    .addColumn('feed_url', 'text')
    .addColumn('feed_refresh_ms', 'bigint')
    .addColumn('feed_etag', 'text')
    .addColumn('feed_last_modified', 'text')
    .addColumn('feed_checked_at', 'bigint')
    .addColumn('feed_ok_at', 'bigint')
    .addColumn('feed_error', 'text')
    .execute();

  // one row per address block of a list: `1.2.3.4` and `1.2.3.4/32` are the same item
  await db.schema
    .createTable('blocklist_items')
    .addColumn('blocklist_id', id, (c) => c.notNull().references('blocklists.id').onDelete('cascade'))
    .addColumn('ip_size', 'integer', (c) => c.notNull())
    .addColumn('start_ip', keyType(db, 32), (c) => c.notNull())
    .addColumn('end_ip', keyType(db, 32), (c) => c.notNull())
    .addColumn('value', key, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addPrimaryKeyConstraint('blocklist_items_pk', ['blocklist_id', 'ip_size', 'start_ip', 'end_ip'])
    .execute();
  await db.schema.createIndex('blocklist_items_expiry').on('blocklist_items').columns(['blocklist_id', 'expires_at']).execute();

  await db.schema
    .createTable('blocklist_subscribers')
    .addColumn('blocklist_id', id, (c) => c.notNull().references('blocklists.id').onDelete('cascade'))
    .addColumn('entity_type', keyType(db, 64), (c) => c.notNull())
    .addColumn('entity_id', key, (c) => c.notNull())
    .addColumn('remediation', keyType(db, 64), (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('blocklist_subscribers_pk', ['blocklist_id', 'entity_type', 'entity_id'])
    .execute();

  await db.schema
    .createTable('integrations')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', keyType(db, 200), (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('entity_type', keyType(db, 64), (c) => c.notNull())
    .addColumn('output_format', keyType(db, 32), (c) => c.notNull())
    .addColumn('pull_limit', 'bigint')
    .addColumn('enable_ip_aggregation', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('last_pull', 'bigint')
    // Basic credentials of a firewall integration; the API key of a remediation component (SHA-512 hex)
    .addColumn('username', keyType(db, 64))
    .addColumn('secret_hash', keyType(db, 128), (c) => c.notNull().unique())
    // a remediation component's stream cursor, as a bouncer's
    .addColumn('stream_seq', 'bigint')
    .addColumn('stream_allowlists', 'bigint')
    .execute();

  // the built-in list of this instance's own decisions (domain/blocklist.ts LAPI_LIST_ID): it exists from the start
  const now = Date.now();
  await db
    .insertInto('blocklists')
    .values({
      id: '000000000000000000000001',
      name: 'lapi',
      label: 'lapi',
      description: "This instance's active IP and range decisions (read-only)",
      references_json: '[]',
      tags_json: '[]',
      created_at: now,
      updated_at: now,
      kind: 'lapi',
      content_version: 0,
    })
    .execute();
}
