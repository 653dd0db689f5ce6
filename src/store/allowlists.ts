import type { Kysely, Selectable, Transaction } from 'kysely';
import {
  newId,
  parseItemValue,
  rangeKey,
  type Actor,
  type Allowlist,
  type AllowlistItem,
  type AllowlistState,
  type EntityKind,
  type EntityTag,
  type Subscriber,
  type SubscriberType,
} from '../domain/allowlist.js';
import { boundHex, type IpRange } from '../domain/ip-range.js';
import { NotFoundError, ConflictError } from '../errors.js';
import { rangeFromBounds } from './decisions.js';
import { isUniqueViolation } from './dialect.js';
import type { Tables } from './tables.js';

type Q = Kysely<Tables> | Transaction<Tables>;
type Row<T extends keyof Tables> = Selectable<Tables[T]>;

/** Every write here runs in a transaction that bumps this counter: other nodes and the server reload on a change. */
async function bump(trx: Transaction<Tables>): Promise<void> {
  await trx
    .updateTable('counters')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', 'allowlists')
    .execute();
}

/** Runs a write and bumps the allowlists version in the same transaction. */
export function writeAllowlists<T>(db: Kysely<Tables>, fn: (trx: Transaction<Tables>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const r = await fn(trx);
    await bump(trx);
    return r;
  });
}

export async function allowlistsVersion(db: Q): Promise<number> {
  const row = await db.selectFrom('counters').select('value').where('name', '=', 'allowlists').executeTakeFirst();
  return Number(row?.value ?? 0);
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function toList(r: Row<'allowlists'>): Allowlist {
  return { id: r.id, name: r.name, description: r.description, createdAt: Number(r.created_at), updatedAt: num(r.updated_at) };
}

function toItem(r: Row<'allowlist_items'>): AllowlistItem {
  return {
    id: r.id,
    allowlistId: r.allowlist_id,
    value: r.value,
    scope: r.scope as AllowlistItem['scope'],
    description: r.description,
    createdAt: Number(r.created_at),
    updatedAt: num(r.updated_at),
    createdBy: JSON.parse(r.created_by) as Actor,
    updatedBy: r.updated_by === null ? null : (JSON.parse(r.updated_by) as Actor),
    expiresAt: num(r.expires_at),
    range: rangeFromBounds(Number(r.ip_size), r.start_ip, r.end_ip)!,
  };
}

/** Everything, for the in-memory view (lists are small next to decisions: a few thousand items at most). */
export async function loadAllowlistState(db: Q): Promise<AllowlistState> {
  const [lists, items, subs, tags] = await Promise.all([
    db.selectFrom('allowlists').selectAll().orderBy('created_at').orderBy('id').execute(),
    db.selectFrom('allowlist_items').selectAll().orderBy('created_at').orderBy('id').execute(),
    db.selectFrom('allowlist_subscribers').selectAll().orderBy('created_at').execute(),
    db.selectFrom('entity_tags').selectAll().execute(),
  ]);
  return {
    lists: new Map(lists.map((r) => [r.id, toList(r)])),
    items: items.map(toItem),
    subscribers: subs.map((s) => ({ allowlistId: s.allowlist_id, entityType: s.entity_type as SubscriberType, entityId: s.entity_id })),
    tags: tags.map((t) => ({ kind: t.kind as EntityKind, name: t.name, tag: t.tag })),
  };
}

// ---- lists ----------------------------------------------------------------------------------------

export async function createAllowlist(db: Kysely<Tables>, name: string, description: string, now = Date.now()): Promise<Allowlist> {
  const list: Allowlist = { id: newId(now), name, description, createdAt: now, updatedAt: null };
  try {
    await writeAllowlists(db, (trx) =>
      trx.insertInto('allowlists').values({ id: list.id, name, description, created_at: now, updated_at: null }).execute(),
    );
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(`allowlist '${name}' already exists`);
    throw err;
  }
  return list;
}

export async function getAllowlist(db: Q, id: string): Promise<Allowlist | undefined> {
  const r = await db.selectFrom('allowlists').selectAll().where('id', '=', id).executeTakeFirst();
  return r && toList(r);
}

export async function getAllowlistByName(db: Q, name: string): Promise<Allowlist | undefined> {
  const r = await db.selectFrom('allowlists').selectAll().where('name', '=', name).executeTakeFirst();
  return r && toList(r);
}

/** The list, or a 404 naming the id. */
export async function requireAllowlist(db: Q, id: string): Promise<Allowlist> {
  const list = await getAllowlist(db, id);
  if (!list) throw new NotFoundError(`allowlist '${id}' not found`);
  return list;
}

export async function countAllowlists(db: Q): Promise<number> {
  const r = await db
    .selectFrom('allowlists')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function pageAllowlists(db: Q, offset: number, limit: number): Promise<Allowlist[]> {
  const rows = await db.selectFrom('allowlists').selectAll().orderBy('created_at').orderBy('id').offset(offset).limit(limit).execute();
  return rows.map(toList);
}

/** Renames and/or re-describes a list. Only these two columns are written, whatever else `patch` carries. */
export async function updateAllowlist(
  db: Kysely<Tables>,
  id: string,
  patch: { name?: string | undefined; description?: string | undefined },
  now = Date.now(),
): Promise<Allowlist> {
  try {
    await writeAllowlists(db, async (trx) => {
      const r = await trx
        .updateTable('allowlists')
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          updated_at: now,
        })
        .where('id', '=', id)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw new NotFoundError(`allowlist '${id}' not found`);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(`allowlist '${patch.name}' already exists`);
    throw err;
  }
  return (await getAllowlist(db, id))!;
}

/** Deletes a list with its items and subscriptions. Refused while it has subscribers, unless `force`. */
export async function deleteAllowlist(db: Kysely<Tables>, id: string, force: boolean): Promise<void> {
  await writeAllowlists(db, async (trx) => {
    if (!(await getAllowlist(trx, id))) throw new NotFoundError(`allowlist '${id}' not found`);
    const subs = await trx.selectFrom('allowlist_subscribers').select('entity_id').where('allowlist_id', '=', id).execute();
    if (subs.length > 0 && !force) {
      throw new ConflictError(`allowlist '${id}' has ${subs.length} subscriber(s): unsubscribe them first, or delete with force=true`);
    }
    await trx.deleteFrom('allowlist_subscribers').where('allowlist_id', '=', id).execute();
    await trx.deleteFrom('allowlist_items').where('allowlist_id', '=', id).execute();
    await trx.deleteFrom('allowlists').where('id', '=', id).execute();
  });
}

async function touchList(trx: Transaction<Tables>, id: string, now: number): Promise<void> {
  await trx.updateTable('allowlists').set({ updated_at: now }).where('id', '=', id).execute();
}

// ---- items ----------------------------------------------------------------------------------------

/** Live items per list id (what `total_items` counts). */
export async function liveItemCounts(db: Q, ids: string[], now: number): Promise<Map<string, number>> {
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

function liveItems(db: Q, listId: string, now: number) {
  return db
    .selectFrom('allowlist_items')
    .where('allowlist_id', '=', listId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
}

export async function pageItems(db: Q, listId: string, offset: number, limit: number, now: number): Promise<AllowlistItem[]> {
  const rows = await liveItems(db, listId, now).selectAll().orderBy('created_at').orderBy('id').offset(offset).limit(limit).execute();
  return rows.map(toItem);
}

/** Every live item of a list, oldest first. */
export async function allLiveItems(db: Q, listId: string, now: number): Promise<AllowlistItem[]> {
  return (await liveItems(db, listId, now).selectAll().orderBy('created_at').orderBy('id').execute()).map(toItem);
}

export async function countItems(db: Q, listId: string, now: number): Promise<number> {
  const r = await liveItems(db, listId, now)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** A live item of a list, or a 404. */
export async function requireItem(db: Q, listId: string, itemId: string, now: number): Promise<AllowlistItem> {
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
export async function addItems(db: Kysely<Tables>, listId: string, n: NewItems, now = Date.now()): Promise<AddedItems> {
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
  db: Kysely<Tables>,
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

export async function deleteItem(db: Kysely<Tables>, listId: string, itemId: string, now = Date.now()): Promise<void> {
  await writeAllowlists(db, async (trx) => {
    await requireItem(trx, listId, itemId, now);
    await trx.deleteFrom('allowlist_items').where('id', '=', itemId).execute();
    await touchList(trx, listId, now);
  });
}

/** Removes the live items of a list that cover exactly these values; returns how many went. */
export async function removeItemsByValue(db: Kysely<Tables>, listId: string, ranges: IpRange[], now = Date.now()): Promise<number> {
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
export async function purgeExpiredItems(db: Kysely<Tables>, before: number): Promise<number> {
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

// ---- subscribers and tags ------------------------------------------------------------------------------

export async function listSubscribers(db: Q, listId: string): Promise<Subscriber[]> {
  const rows = await db
    .selectFrom('allowlist_subscribers')
    .selectAll()
    .where('allowlist_id', '=', listId)
    .orderBy('created_at')
    .orderBy('entity_id')
    .execute();
  return rows.map((s) => ({ allowlistId: s.allowlist_id, entityType: s.entity_type as SubscriberType, entityId: s.entity_id }));
}

export async function subscribersOf(db: Q, listIds: string[]): Promise<Map<string, Subscriber[]>> {
  const out = new Map<string, Subscriber[]>(listIds.map((id) => [id, []]));
  if (listIds.length === 0) return out;
  const rows = await db
    .selectFrom('allowlist_subscribers')
    .selectAll()
    .where('allowlist_id', 'in', listIds)
    .orderBy('created_at')
    .orderBy('entity_id')
    .execute();
  for (const s of rows)
    out.get(s.allowlist_id)?.push({ allowlistId: s.allowlist_id, entityType: s.entity_type as SubscriberType, entityId: s.entity_id });
  return out;
}

/** Subscribes entities (already checked by the caller); subscribing twice changes nothing. */
export async function addSubscribers(
  db: Kysely<Tables>,
  listId: string,
  type: SubscriberType,
  ids: string[],
  now = Date.now(),
): Promise<void> {
  await writeAllowlists(db, (trx) => addSubscribersIn(trx, listId, type, ids, now));
}

/** addSubscribers inside a caller's allowlist write. */
export async function addSubscribersIn(
  trx: Transaction<Tables>,
  listId: string,
  type: SubscriberType,
  ids: string[],
  now: number,
): Promise<void> {
  if (!(await getAllowlist(trx, listId))) throw new NotFoundError(`allowlist '${listId}' not found`);
  const have = new Set(
    (
      await trx
        .selectFrom('allowlist_subscribers')
        .select('entity_id')
        .where('allowlist_id', '=', listId)
        .where('entity_type', '=', type)
        .execute()
    ).map((r) => r.entity_id),
  );
  const rows = [...new Set(ids)]
    .filter((id) => !have.has(id))
    .map((entity_id) => ({ allowlist_id: listId, entity_type: type, entity_id, created_at: now }));
  if (rows.length > 0) await trx.insertInto('allowlist_subscribers').values(rows).execute();
}

/** Unsubscribes an entity (of one type, or of any type); returns how many subscriptions went. */
export async function removeSubscriber(db: Kysely<Tables>, listId: string, entityId: string, type?: SubscriberType): Promise<number> {
  return writeAllowlists(db, async (trx) => {
    let q = trx.deleteFrom('allowlist_subscribers').where('allowlist_id', '=', listId).where('entity_id', '=', entityId);
    if (type) q = q.where('entity_type', '=', type);
    return Number((await q.executeTakeFirst()).numDeletedRows);
  });
}

export async function tagsFor(db: Q, kind: EntityKind, name: string): Promise<string[]> {
  const rows = await db.selectFrom('entity_tags').select('tag').where('kind', '=', kind).where('name', '=', name).orderBy('tag').execute();
  return rows.map((r) => r.tag);
}

export async function allTags(db: Q, kind: EntityKind): Promise<EntityTag[]> {
  const rows = await db.selectFrom('entity_tags').selectAll().where('kind', '=', kind).orderBy('name').orderBy('tag').execute();
  return rows.map((t) => ({ kind, name: t.name, tag: t.tag }));
}

/** Adds and removes tags on a machine or bouncer; returns its tags afterwards. */
export async function changeTags(db: Kysely<Tables>, kind: EntityKind, name: string, add: string[], remove: string[]): Promise<string[]> {
  await writeAllowlists(db, async (trx) => {
    const have = new Set(await tagsFor(trx, kind, name));
    const rows = [...new Set(add)].filter((t) => !have.has(t)).map((tag) => ({ kind, name, tag }));
    if (rows.length > 0) await trx.insertInto('entity_tags').values(rows).execute();
    if (remove.length > 0)
      await trx.deleteFrom('entity_tags').where('kind', '=', kind).where('name', '=', name).where('tag', 'in', remove).execute();
  });
  return tagsFor(db, kind, name);
}

/**
 * Deletes the tags of machines or bouncers being deleted, inside the caller's transaction (the one that
 * deletes them), and bumps the allowlists version when any went: tag subscriptions change with them.
 */
export async function dropTagsIn(trx: Transaction<Tables>, kind: EntityKind, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const r = await trx
    .deleteFrom('entity_tags')
    .where('kind', '=', kind)
    .where('name', 'in', [...names])
    .executeTakeFirst();
  if (Number(r.numDeletedRows) > 0) await bump(trx);
}
