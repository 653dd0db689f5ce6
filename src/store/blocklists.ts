import type { Transaction } from 'kysely';
import { newId } from '../domain/allowlist.js';
import type { Blocklist, BlocklistKind, BlocklistSubscriber, BlocklistSubscriberType } from '../domain/blocklist.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { bump, numOrNull } from './allowlists.js';
import type { Db } from './db.js';
import { refusingDuplicates } from './dialect.js';
import type { BlocklistRow, BlocklistSubscriberRow, Tables } from './tables.js';

export function toBlocklist(r: BlocklistRow): Blocklist {
  return {
    id: r.id,
    name: r.name,
    label: r.label,
    description: r.description,
    references: JSON.parse(r.references_json) as string[],
    tags: JSON.parse(r.tags_json) as string[],
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    kind: r.kind as BlocklistKind,
    contentVersion: Number(r.content_version),
    feed:
      r.feed_url === null
        ? null
        : {
            url: r.feed_url,
            refreshMs: Number(r.feed_refresh_ms ?? 3_600_000),
            etag: r.feed_etag,
            lastModified: r.feed_last_modified,
            checkedAt: numOrNull(r.feed_checked_at),
            okAt: numOrNull(r.feed_ok_at),
            error: r.feed_error,
          },
  };
}

export function toBlocklistSubscriber(r: BlocklistSubscriberRow): BlocklistSubscriber {
  return {
    blocklistId: r.blocklist_id,
    entityType: r.entity_type as BlocklistSubscriberType,
    entityId: r.entity_id,
    remediation: r.remediation,
  };
}

export interface NewBlocklist {
  name: string;
  label: string;
  description: string;
  references: string[];
  tags: string[];
  feed: { url: string; refreshMs: number } | null;
}

export async function insertBlocklist(trx: Transaction<Tables>, n: NewBlocklist, now: number): Promise<Blocklist> {
  const id = newId(now);
  await refusingDuplicates(
    () =>
      trx
        .insertInto('blocklists')
        .values({
          id,
          name: n.name,
          label: n.label,
          description: n.description,
          references_json: JSON.stringify(n.references),
          tags_json: JSON.stringify(n.tags),
          created_at: now,
          updated_at: now,
          kind: n.feed ? 'feed' : 'custom',
          content_version: 0,
          feed_url: n.feed?.url ?? null,
          feed_refresh_ms: n.feed?.refreshMs ?? null,
        })
        .execute(),
    () => new ConflictError(`blocklist '${n.name}' already exists`),
  );
  return (await getBlocklist(trx, id))!;
}

export async function getBlocklist(db: Db, id: string): Promise<Blocklist | undefined> {
  const r = await db.selectFrom('blocklists').selectAll().where('id', '=', id).executeTakeFirst();
  return r && toBlocklist(r);
}

export async function getBlocklistByName(db: Db, name: string): Promise<Blocklist | undefined> {
  const r = await db.selectFrom('blocklists').selectAll().where('name', '=', name).executeTakeFirst();
  return r && toBlocklist(r);
}

/** The list, or a 404 naming the id. */
export async function requireBlocklist(db: Db, id: string): Promise<Blocklist> {
  const list = await getBlocklist(db, id);
  if (!list) throw new NotFoundError(`blocklist '${id}' not found`);
  return list;
}

export interface BlocklistQuery {
  /** Only lists with at least one subscriber, or only lists without any. */
  subscribed?: boolean;
}

function listsWhere(db: Db, q: BlocklistQuery) {
  let s = db.selectFrom('blocklists');
  if (q.subscribed !== undefined) {
    const sub = db.selectFrom('blocklist_subscribers').select('blocklist_id');
    s = q.subscribed ? s.where('id', 'in', sub) : s.where('id', 'not in', sub);
  }
  return s;
}

export async function countBlocklists(db: Db, q: BlocklistQuery = {}): Promise<number> {
  const r = await listsWhere(db, q)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function pageBlocklists(db: Db, offset: number, limit: number, q: BlocklistQuery = {}): Promise<Blocklist[]> {
  const rows = await listsWhere(db, q).selectAll().orderBy('created_at').orderBy('id').offset(offset).limit(limit).execute();
  return rows.map(toBlocklist);
}

export async function allBlocklists(db: Db): Promise<Blocklist[]> {
  return pageBlocklists(db, 0, 1_000_000);
}

export interface BlocklistPatch {
  label?: string | undefined;
  description?: string | undefined;
  references?: string[] | undefined;
  tags?: string[] | undefined;
  feed?: { url: string; refreshMs: number } | undefined;
}

/** Writes the named columns of a patch, never anything else it carries. */
export async function updateBlocklistRow(trx: Transaction<Tables>, id: string, p: BlocklistPatch, now: number): Promise<void> {
  await trx
    .updateTable('blocklists')
    .set({
      ...(p.label !== undefined ? { label: p.label } : {}),
      ...(p.description !== undefined ? { description: p.description } : {}),
      ...(p.references !== undefined ? { references_json: JSON.stringify(p.references) } : {}),
      ...(p.tags !== undefined ? { tags_json: JSON.stringify(p.tags) } : {}),
      // a new URL is fetched at the next feed tick: the validators of the old one mean nothing to it
      ...(p.feed !== undefined
        ? { feed_url: p.feed.url, feed_refresh_ms: p.feed.refreshMs, feed_etag: null, feed_last_modified: null, feed_checked_at: null }
        : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}

/** Marks a list's content changed: its ETag changes with it. */
export async function touchContent(trx: Transaction<Tables>, id: string, now: number): Promise<void> {
  await trx
    .updateTable('blocklists')
    .set((eb) => ({ content_version: eb('content_version', '+', 1), updated_at: now }))
    .where('id', '=', id)
    .execute();
}

export async function deleteBlocklistRow(trx: Transaction<Tables>, id: string): Promise<void> {
  await trx.deleteFrom('blocklist_subscribers').where('blocklist_id', '=', id).execute();
  await trx.deleteFrom('blocklist_items').where('blocklist_id', '=', id).execute();
  await trx.deleteFrom('blocklists').where('id', '=', id).execute();
}

/** Records a feed check: a success (`ok`) or an error, with the validators to send next time. */
export async function recordFeedCheck(
  db: Db,
  id: string,
  m: { at: number; error: string | null; ok: boolean; etag?: string | null | undefined; lastModified?: string | null | undefined },
): Promise<void> {
  await db
    .updateTable('blocklists')
    .set({
      feed_checked_at: m.at,
      feed_error: m.error,
      ...(m.ok ? { feed_ok_at: m.at } : {}),
      ...(m.etag !== undefined ? { feed_etag: m.etag } : {}),
      ...(m.lastModified !== undefined ? { feed_last_modified: m.lastModified } : {}),
    })
    .where('id', '=', id)
    .execute();
}

// Subscribers. Every change bumps the allowlists version: it is the version of "who is served what",
// which bouncer stream cursors record, so that a change of audience reaches each bouncer once.

export async function blocklistSubscribers(db: Db, listId: string): Promise<BlocklistSubscriber[]> {
  const rows = await db
    .selectFrom('blocklist_subscribers')
    .selectAll()
    .where('blocklist_id', '=', listId)
    .orderBy('created_at')
    .orderBy('entity_type')
    .orderBy('entity_id')
    .execute();
  return rows.map(toBlocklistSubscriber);
}

/** Every subscription with its list's name and kind: what the in-memory views are built from. */
export async function allBlocklistSubscriptions(db: Db): Promise<(BlocklistSubscriber & { listName: string; listKind: BlocklistKind })[]> {
  const rows = await db
    .selectFrom('blocklist_subscribers as s')
    .innerJoin('blocklists as b', 'b.id', 's.blocklist_id')
    .selectAll('s')
    .select(['b.name as list_name', 'b.kind as list_kind'])
    .orderBy('s.created_at')
    .execute();
  return rows.map((r) => ({ ...toBlocklistSubscriber(r), listName: r.list_name, listKind: r.list_kind as BlocklistKind }));
}

/** Subscribes (or changes the remediation of) entities of one type. */
export async function upsertSubscribers(
  trx: Transaction<Tables>,
  listId: string,
  type: BlocklistSubscriberType,
  ids: string[],
  remediation: string,
  now: number,
): Promise<void> {
  if (ids.length === 0) return;
  await trx
    .deleteFrom('blocklist_subscribers')
    .where('blocklist_id', '=', listId)
    .where('entity_type', '=', type)
    .where('entity_id', 'in', ids)
    .execute();
  await trx
    .insertInto('blocklist_subscribers')
    .values(ids.map((entity_id) => ({ blocklist_id: listId, entity_type: type, entity_id, remediation, created_at: now })))
    .execute();
  await bump(trx);
}

/** Ends subscriptions of an entity (of one type, or any); returns how many went. */
export async function deleteSubscribers(trx: Transaction<Tables>, listId: string, entityId: string, type?: string): Promise<number> {
  let q = trx.deleteFrom('blocklist_subscribers').where('blocklist_id', '=', listId).where('entity_id', '=', entityId);
  if (type) q = q.where('entity_type', '=', type);
  const n = Number((await q.executeTakeFirst()).numDeletedRows);
  if (n > 0) await bump(trx);
  return n;
}

/** Ends every subscription of an entity to any list (an integration being deleted). */
export async function deleteSubscriptionsOf(trx: Transaction<Tables>, types: string[], entityId: string): Promise<string[]> {
  const rows = await trx
    .selectFrom('blocklist_subscribers')
    .select('blocklist_id')
    .where('entity_type', 'in', types)
    .where('entity_id', '=', entityId)
    .execute();
  if (rows.length === 0) return [];
  await trx.deleteFrom('blocklist_subscribers').where('entity_type', 'in', types).where('entity_id', '=', entityId).execute();
  await bump(trx);
  return [...new Set(rows.map((r) => r.blocklist_id))];
}
