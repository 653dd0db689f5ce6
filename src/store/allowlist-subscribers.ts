import type { Transaction } from 'kysely';
import type { Subscriber, SubscriberType } from '../domain/allowlist.js';
import { NotFoundError } from '../errors.js';
import { getAllowlist, writeAllowlists } from './allowlists.js';
import type { Db } from './db.js';
import type { AllowlistSubscriberRow, Tables } from './tables.js';

export function toSubscriber(s: AllowlistSubscriberRow): Subscriber {
  return { allowlistId: s.allowlist_id, entityType: s.entity_type as SubscriberType, entityId: s.entity_id };
}

/** A list's subscribers, oldest first. */
export async function listSubscribers(db: Db, listId: string): Promise<Subscriber[]> {
  return (await subscribersOf(db, [listId])).get(listId)!;
}

/** The subscribers of each list, oldest first (an empty array for a list without any). */
export async function subscribersOf(db: Db, listIds: string[]): Promise<Map<string, Subscriber[]>> {
  const out = new Map<string, Subscriber[]>(listIds.map((id) => [id, []]));
  if (listIds.length === 0) return out;
  const rows = await db
    .selectFrom('allowlist_subscribers')
    .selectAll()
    .where('allowlist_id', 'in', listIds)
    .orderBy('created_at')
    .orderBy('entity_id')
    .execute();
  for (const s of rows) out.get(s.allowlist_id)?.push(toSubscriber(s));
  return out;
}

/** Subscribes entities (already checked by the caller); subscribing twice changes nothing. */
export async function addSubscribers(db: Db, listId: string, type: SubscriberType, ids: string[], now = Date.now()): Promise<void> {
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
export async function removeSubscriber(db: Db, listId: string, entityId: string, type?: SubscriberType): Promise<number> {
  return writeAllowlists(db, async (trx) => {
    let q = trx.deleteFrom('allowlist_subscribers').where('allowlist_id', '=', listId).where('entity_id', '=', entityId);
    if (type) q = q.where('entity_type', '=', type);
    return Number((await q.executeTakeFirst()).numDeletedRows);
  });
}
