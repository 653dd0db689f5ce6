import type { Transaction } from 'kysely';
import { newId, parseItemValue, rangeKey, type Actor, type AllowlistItem } from '../domain/allowlist.js';
import { boundHex, type IpRange } from '../domain/ip-range.js';
import { NotFoundError } from '../errors.js';
import { getAllowlist, numOrNull, touchList, writeAllowlists } from './allowlists.js';
import type { Db } from './db.js';
import { rangeFromBounds } from './ip-bounds.js';
import type { AllowlistItemRow, Tables } from './tables.js';

export function toItem(r: AllowlistItemRow): AllowlistItem {
  return {
    id: r.id,
    allowlistId: r.allowlist_id,
    value: r.value,
    scope: r.scope as AllowlistItem['scope'],
    description: r.description,
    createdAt: Number(r.created_at),
    updatedAt: numOrNull(r.updated_at),
    createdBy: JSON.parse(r.created_by) as Actor,
    updatedBy: r.updated_by === null ? null : (JSON.parse(r.updated_by) as Actor),
    expiresAt: numOrNull(r.expires_at),
    range: rangeFromBounds(Number(r.ip_size), r.start_ip, r.end_ip)!,
  };
}

/** Live items per list id (what `total_items` counts). */
export async function liveItemCounts(db: Db, ids: string[], now: number): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('allowlist_items')
    .select(['allowlist_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('allowlist_id', 'in', ids)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .groupBy('allowlist_id')
    .execute();
  return new Map(rows.map((r) => [r.allowlist_id, Number(r.n)]));
}

function liveItems(db: Db, listId: string, now: number) {
  return db
    .selectFrom('allowlist_items')
    .where('allowlist_id', '=', listId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
}

export async function pageItems(db: Db, listId: string, offset: number, limit: number, now: number): Promise<AllowlistItem[]> {
  const rows = await liveItems(db, listId, now).selectAll().orderBy('created_at').orderBy('id').offset(offset).limit(limit).execute();
  return rows.map(toItem);
}

/** Every live item of a list, oldest first. */
export async function allLiveItems(db: Db, listId: string, now: number): Promise<AllowlistItem[]> {
  return (await liveItems(db, listId, now).selectAll().orderBy('created_at').orderBy('id').execute()).map(toItem);
}

export async function countItems(db: Db, listId: string, now: number): Promise<number> {
  const r = await liveItems(db, listId, now)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** A live item of a list, or a 404. */
export async function requireItem(db: Db, listId: string, itemId: string, now: number): Promise<AllowlistItem> {
  const r = await liveItems(db, listId, now).selectAll().where('id', '=', itemId).executeTakeFirst();
  if (!r) throw new NotFoundError(`item '${itemId}' not found in allowlist '${listId}'`);
  return toItem(r);
}

export interface NewItems {
  values: string[];
  description: string;
  expiresAt: number | null;
  actor: Actor;
}

export interface AddedItems {
  added: AllowlistItem[];
  /** Values already in the list (live), not added again. */
  skipped: string[];
}

/**
 * Adds items to a list; values must have been validated (parseItemValue). A value that covers exactly
 * what a live item of the list covers is skipped; an expired twin is replaced.
 */
export async function addItems(db: Db, listId: string, n: NewItems, now = Date.now()): Promise<AddedItems> {
  return writeAllowlists(db, (trx) => addItemsIn(trx, listId, n, now));
}

/** addItems inside a caller's allowlist write (see writeAllowlists), for changes that must commit with it. */
export async function addItemsIn(trx: Transaction<Tables>, listId: string, n: NewItems, now: number): Promise<AddedItems> {
  {
    if (!(await getAllowlist(trx, listId))) throw new NotFoundError(`allowlist '${listId}' not found`);
    const existing = (await trx.selectFrom('allowlist_items').selectAll().where('allowlist_id', '=', listId).execute()).map(toItem);
    const live = new Set(existing.filter((i) => i.expiresAt === null || i.expiresAt > now).map((i) => rangeKey(i.range)));
    const stale = existing.filter((i) => !(i.expiresAt === null || i.expiresAt > now));
    const out: AddedItems = { added: [], skipped: [] };
    for (const raw of n.values) {
      const { value, scope, range } = parseItemValue(raw);
      const key = rangeKey(range);
      if (live.has(key)) {
        out.skipped.push(value);
        continue;
      }
      live.add(key);
      const twins = stale.filter((i) => rangeKey(i.range) === key).map((i) => i.id);
      if (twins.length > 0) await trx.deleteFrom('allowlist_items').where('id', 'in', twins).execute();
      const item: AllowlistItem = {
        id: newId(now),
        allowlistId: listId,
        value,
        scope,
        description: n.description,
        createdAt: now,
        updatedAt: null,
        createdBy: n.actor,
        updatedBy: null,
        expiresAt: n.expiresAt,
        range,
      };
      await trx.insertInto('allowlist_items').values(itemRow(item)).execute();
      out.added.push(item);
    }
    if (out.added.length > 0) await touchList(trx, listId, now);
    return out;
  }
}

function itemRow(i: AllowlistItem) {
  return {
    id: i.id,
    allowlist_id: i.allowlistId,
    value: i.value,
    scope: i.scope,
    description: i.description,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
    created_by: JSON.stringify(i.createdBy),
    updated_by: i.updatedBy === null ? null : JSON.stringify(i.updatedBy),
    expires_at: i.expiresAt,
    ip_size: i.range.size,
    start_ip: boundHex(i.range.size, i.range.start),
    end_ip: boundHex(i.range.size, i.range.end),
  };
}

/** PATCH: the description and/or the expiration (null: never) of a live item. */
export async function updateItem(
  db: Db,
  listId: string,
  itemId: string,
  patch: { description?: string; expiresAt?: number | null },
  actor: Actor,
  now = Date.now(),
): Promise<AllowlistItem> {
  await writeAllowlists(db, async (trx) => {
    await requireItem(trx, listId, itemId, now);
    await trx
      .updateTable('allowlist_items')
      .set({
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.expiresAt !== undefined ? { expires_at: patch.expiresAt } : {}),
        updated_at: now,
        updated_by: JSON.stringify(actor),
      })
      .where('id', '=', itemId)
      .execute();
    await touchList(trx, listId, now);
  });
  const r = await db.selectFrom('allowlist_items').selectAll().where('id', '=', itemId).executeTakeFirstOrThrow();
  return toItem(r);
}

export async function deleteItem(db: Db, listId: string, itemId: string, now = Date.now()): Promise<void> {
  await writeAllowlists(db, async (trx) => {
    await requireItem(trx, listId, itemId, now);
    await trx.deleteFrom('allowlist_items').where('id', '=', itemId).execute();
    await touchList(trx, listId, now);
  });
}

/** Removes the live items of a list that cover exactly these values; returns how many went. */
export async function removeItemsByValue(db: Db, listId: string, ranges: IpRange[], now = Date.now()): Promise<number> {
  const keys = new Set(ranges.map(rangeKey));
  return writeAllowlists(db, async (trx) => {
    const rows = (await liveItems(trx, listId, now).selectAll().execute()).map(toItem);
    const ids = rows.filter((i) => keys.has(rangeKey(i.range))).map((i) => i.id);
    if (ids.length === 0) return 0;
    await trx.deleteFrom('allowlist_items').where('id', 'in', ids).execute();
    await touchList(trx, listId, now);
    return ids.length;
  });
}

/** Deletes items expired before `before` (views hide them as soon as they expire; this only frees the rows). */
export async function purgeExpiredItems(db: Db, before: number): Promise<number> {
  const stale = await db.selectFrom('allowlist_items').select('id').where('expires_at', '<', before).limit(500).execute();
  if (stale.length === 0) return 0;
  return writeAllowlists(db, async (trx) => {
    const r = await trx
      .deleteFrom('allowlist_items')
      .where(
        'id',
        'in',
        stale.map((s) => s.id),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  });
}
