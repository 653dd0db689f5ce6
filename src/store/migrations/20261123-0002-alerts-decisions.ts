import type { Kysely } from 'kysely';
import { bigText, idColumn, keyType } from '../dialect.js';

/**
 * The decision engine: alerts, their decisions, and the change sequence bouncer streams follow.
 * Frozen once merged.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const key = keyType(db);
  await idColumn(db, db.schema.createTable('alerts'))
    .addColumn('uuid', keyType(db, 36), (c) => c.notNull())
    .addColumn('machine_ref', 'bigint', (c) => c.references('machines.id').onDelete('set null'))
    .addColumn('scenario', key, (c) => c.notNull())
    .addColumn('scenario_hash', key, (c) => c.notNull())
    .addColumn('scenario_version', key, (c) => c.notNull())
    .addColumn('message', bigText(db), (c) => c.notNull())
    .addColumn('events_count', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('stopped_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('capacity', 'integer', (c) => c.notNull())
    .addColumn('leakspeed', key, (c) => c.notNull())
    .addColumn('simulated', 'integer', (c) => c.notNull())
    .addColumn('remediation', 'integer', (c) => c.notNull())
    .addColumn('kind', key, (c) => c.notNull())
    .addColumn('source_scope', key, (c) => c.notNull())
    .addColumn('source_value', key, (c) => c.notNull())
    .addColumn('source_ip', key, (c) => c.notNull())
    .addColumn('source_range', key, (c) => c.notNull())
    .addColumn('source_as_number', key, (c) => c.notNull())
    .addColumn('source_as_name', key, (c) => c.notNull())
    .addColumn('source_country', key, (c) => c.notNull())
    .addColumn('source_latitude', 'real', (c) => c.notNull())
    .addColumn('source_longitude', 'real', (c) => c.notNull())
    // events, meta and labels are read back whole and never filtered on: JSON text keeps ingestion to one row
    .addColumn('events', bigText(db), (c) => c.notNull())
    .addColumn('meta', bigText(db), (c) => c.notNull())
    .addColumn('labels', bigText(db), (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alerts_created_at').on('alerts').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('alerts_source').on('alerts').columns(['source_value']).execute();
  await db.schema.createIndex('alerts_machine').on('alerts').columns(['machine_ref']).execute();

  await idColumn(db, db.schema.createTable('decisions'))
    .addColumn('uuid', keyType(db, 36), (c) => c.notNull())
    // set null, not cascade: deleting an alert expires its decisions so that bouncers hear of it
    .addColumn('alert_id', 'bigint', (c) => c.references('alerts.id').onDelete('set null'))
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('until', 'bigint', (c) => c.notNull())
    .addColumn('scenario', key, (c) => c.notNull())
    .addColumn('type', key, (c) => c.notNull())
    .addColumn('scope', key, (c) => c.notNull())
    .addColumn('value', key, (c) => c.notNull())
    .addColumn('origin', key, (c) => c.notNull())
    .addColumn('simulated', 'integer', (c) => c.notNull())
    .addColumn('ip_size', 'integer', (c) => c.notNull())
    .addColumn('start_ip', keyType(db, 32), (c) => c.notNull())
    .addColumn('end_ip', keyType(db, 32), (c) => c.notNull())
    .execute();
  await db.schema.createIndex('decisions_seq').on('decisions').columns(['seq']).execute();
  await db.schema.createIndex('decisions_until').on('decisions').columns(['until']).execute();
  await db.schema.createIndex('decisions_alert').on('decisions').columns(['alert_id']).execute();
  await db.schema.createIndex('decisions_value').on('decisions').columns(['value']).execute();
  await db.schema.createIndex('decisions_range').on('decisions').columns(['ip_size', 'start_ip', 'end_ip']).execute();

  // Named counters. `decisions` hands out change sequences: taking it locks the row until commit, so
  // sequences become visible in order on every engine, and a reader following `seq > n` misses nothing.
  await db.schema
    .createTable('counters')
    .addColumn('name', key, (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .execute();
  await db.insertInto('counters').values({ name: 'decisions', value: 0 }).execute();

  // A bouncer's stream cursor: the last change sequence it was served and when.
  await db.schema.alterTable('bouncers').addColumn('stream_seq', 'bigint').execute();
}
