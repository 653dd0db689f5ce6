import type { Transaction } from 'kysely';
import { newId } from '../domain/allowlist.js';
import type { Integration, IntegrationFormat, IntegrationType } from '../domain/integration.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { bump, numOrNull } from './allowlists.js';
import type { Db } from './db.js';
import { refusingDuplicates } from './dialect.js';
import type { IntegrationRow, Tables } from './tables.js';

/** Tags of integrations live in entity_tags (kind `integration`, name = id), where tag subscriptions find them. */
async function tagsOf(db: Db, ids: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('entity_tags')
    .select(['name', 'tag'])
    .where('kind', '=', 'integration')
    .where('name', 'in', [...ids])
    .orderBy('tag')
    .execute();
  for (const r of rows) out.get(r.name)?.push(r.tag);
  return out;
}

function toIntegration(r: IntegrationRow, tags: string[]): Integration {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    entityType: r.entity_type as IntegrationType,
    outputFormat: r.output_format as IntegrationFormat,
    pullLimit: numOrNull(r.pull_limit),
    enableIpAggregation: Number(r.enable_ip_aggregation) === 1,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    lastPull: numOrNull(r.last_pull),
    username: r.username,
    tags,
  };
}

async function withTags(db: Db, rows: IntegrationRow[]): Promise<Integration[]> {
  const tags = await tagsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toIntegration(r, tags.get(r.id) ?? []));
}

export interface NewIntegration {
  name: string;
  description: string;
  entityType: IntegrationType;
  outputFormat: IntegrationFormat;
  pullLimit: number | null;
  enableIpAggregation: boolean;
  tags: string[];
  username: string | null;
  secretHash: string;
}

export async function insertIntegration(db: Db, n: NewIntegration, now = Date.now()): Promise<Integration> {
  const id = newId(now);
  await refusingDuplicates(
    () =>
      db.transaction().execute(async (trx) => {
        await trx
          .insertInto('integrations')
          .values({
            id,
            name: n.name,
            description: n.description,
            entity_type: n.entityType,
            output_format: n.outputFormat,
            pull_limit: n.pullLimit,
            enable_ip_aggregation: n.enableIpAggregation ? 1 : 0,
            created_at: now,
            updated_at: now,
            last_pull: null,
            username: n.username,
            secret_hash: n.secretHash,
            stream_seq: null,
            stream_allowlists: null,
          })
          .execute();
        await setTagsIn(trx, id, n.tags);
        // a new entity that `org` and tag subscriptions reach
        await bump(trx);
      }),
    () => new ConflictError(`integration '${n.name}' already exists`),
  );
  return (await getIntegration(db, id))!;
}

async function setTagsIn(trx: Transaction<Tables>, id: string, tags: readonly string[]): Promise<void> {
  await trx.deleteFrom('entity_tags').where('kind', '=', 'integration').where('name', '=', id).execute();
  const rows = [...new Set(tags)].map((tag) => ({ kind: 'integration', name: id, tag }));
  if (rows.length > 0) await trx.insertInto('entity_tags').values(rows).execute();
}

export async function getIntegration(db: Db, id: string): Promise<Integration | undefined> {
  const r = await db.selectFrom('integrations').selectAll().where('id', '=', id).executeTakeFirst();
  return r && (await withTags(db, [r]))[0];
}

export async function getIntegrationByName(db: Db, name: string): Promise<Integration | undefined> {
  const r = await db.selectFrom('integrations').selectAll().where('name', '=', name).executeTakeFirst();
  return r && (await withTags(db, [r]))[0];
}

export async function requireIntegration(db: Db, id: string): Promise<Integration> {
  const i = await getIntegration(db, id);
  if (!i) throw new NotFoundError(`integration '${id}' not found`);
  return i;
}

/** The integration and its stored secret hash: what the content and stream endpoints authenticate against. */
export async function integrationSecret(db: Db, id: string): Promise<{ integration: Integration; secretHash: string } | undefined> {
  const r = await db.selectFrom('integrations').selectAll().where('id', '=', id).executeTakeFirst();
  return r && { integration: (await withTags(db, [r]))[0]!, secretHash: r.secret_hash };
}

function whereTags(db: Db, tags: readonly string[] | undefined) {
  let q = db.selectFrom('integrations');
  if (tags && tags.length > 0)
    q = q.where(
      'id',
      'in',
      db
        .selectFrom('entity_tags')
        .select('name')
        .where('kind', '=', 'integration')
        .where('tag', 'in', [...tags]),
    );
  return q;
}

export async function countIntegrations(db: Db, tags?: readonly string[]): Promise<number> {
  const r = await whereTags(db, tags)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function pageIntegrations(db: Db, offset: number, limit: number, tags?: readonly string[]): Promise<Integration[]> {
  const rows = await whereTags(db, tags).selectAll().orderBy('created_at').orderBy('id').offset(offset).limit(limit).execute();
  return withTags(db, rows);
}

export interface IntegrationPatch {
  name?: string | undefined;
  description?: string | undefined;
  outputFormat?: IntegrationFormat | undefined;
  pullLimit?: number | null | undefined;
  enableIpAggregation?: boolean | undefined;
  tags?: string[] | undefined;
  /** New credentials' username and secret hash. */
  credentials?: { username: string | null; secretHash: string } | undefined;
}

/** Writes the named columns of a patch, never anything else it carries. */
export async function updateIntegrationRow(db: Db, id: string, p: IntegrationPatch, now = Date.now()): Promise<Integration> {
  await refusingDuplicates(
    () =>
      db.transaction().execute(async (trx) => {
        const r = await trx
          .updateTable('integrations')
          .set({
            ...(p.name !== undefined ? { name: p.name } : {}),
            ...(p.description !== undefined ? { description: p.description } : {}),
            ...(p.outputFormat !== undefined ? { output_format: p.outputFormat } : {}),
            ...(p.pullLimit !== undefined ? { pull_limit: p.pullLimit } : {}),
            ...(p.enableIpAggregation !== undefined ? { enable_ip_aggregation: p.enableIpAggregation ? 1 : 0 } : {}),
            ...(p.credentials ? { username: p.credentials.username, secret_hash: p.credentials.secretHash } : {}),
            updated_at: now,
          })
          .where('id', '=', id)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) throw new NotFoundError(`integration '${id}' not found`);
        if (p.tags !== undefined) {
          await setTagsIn(trx, id, p.tags);
          await bump(trx);
        }
      }),
    () => new ConflictError(`integration '${p.name}' already exists`),
  );
  return (await getIntegration(db, id))!;
}

export async function deleteIntegrationRow(trx: Transaction<Tables>, id: string): Promise<void> {
  await trx.deleteFrom('entity_tags').where('kind', '=', 'integration').where('name', '=', id).execute();
  await trx.deleteFrom('integrations').where('id', '=', id).execute();
  await bump(trx);
}

export async function setIntegrationPulled(db: Db, id: string, at: number): Promise<void> {
  await db.updateTable('integrations').set({ last_pull: at }).where('id', '=', id).execute();
}

export async function getIntegrationCursor(
  db: Db,
  id: string,
): Promise<{ seq: number | null; lastPull: number | null; allowlists: number }> {
  const r = await db
    .selectFrom('integrations')
    .select(['stream_seq', 'last_pull', 'stream_allowlists'])
    .where('id', '=', id)
    .executeTakeFirst();
  return {
    seq: numOrNull(r?.stream_seq),
    lastPull: numOrNull(r?.last_pull),
    allowlists: Number(r?.stream_allowlists ?? 0),
  };
}

export async function setIntegrationCursor(db: Db, id: string, seq: number, at: number, allowlists: number): Promise<void> {
  await db
    .updateTable('integrations')
    .set({ last_pull: at, stream_seq: seq, stream_allowlists: allowlists })
    .where('id', '=', id)
    .execute();
}

/** Every integration's id and type (the in-memory views: who `org` and tag subscriptions reach). */
export async function allIntegrationIds(db: Db): Promise<{ id: string; entityType: IntegrationType }[]> {
  const rows = await db.selectFrom('integrations').select(['id', 'entity_type']).execute();
  return rows.map((r) => ({ id: r.id, entityType: r.entity_type as IntegrationType }));
}
