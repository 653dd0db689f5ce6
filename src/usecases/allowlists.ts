import { type Actor, type Allowlist, type AllowlistItem, SUBSCRIBER_TYPES, type SubscriberType } from '../domain/allowlist.js';
import type { IpRange } from '../domain/ip-range.js';
import type { Transaction } from 'kysely';
import { NotFoundError } from '../errors.js';
import { addItemsIn, allLiveItems, deleteItem, updateItem, type AddedItems, type NewItems } from '../store/allowlist-items.js';
import { addSubscribersIn, listSubscribers, removeSubscriber } from '../store/allowlist-subscribers.js';
import { createAllowlist, deleteAllowlist, requireAllowlist, updateAllowlist, writeAllowlists } from '../store/allowlists.js';
import type { Db } from '../store/db.js';
import { activeDecisionIdsOverlapping, expireDecisions, nextSequence } from '../store/decisions.js';
import type { Tables } from '../store/tables.js';
import type { UseCaseDeps } from './deps.js';
import { entityRefusal } from './subscribers.js';

/**
 * The allowlist writes the admin API and the CLI share. Each commits in one transaction (with the decisions
 * it ends), then settles this process's views; the CLI, which holds none, passes no `settle`.
 */
export type AllowlistWriter = Pick<UseCaseDeps, 'db'> & Partial<Pick<UseCaseDeps, 'settle'>>;

const settled = async <T>(w: AllowlistWriter, result: T): Promise<T> => {
  await w.settle?.('allowlists');
  return result;
};

export async function createList(w: AllowlistWriter, name: string, description: string): Promise<Allowlist> {
  return settled(w, await createAllowlist(w.db, name, description));
}

export async function updateList(w: AllowlistWriter, id: string, patch: { name?: string | undefined; description?: string | undefined }) {
  return settled(w, await updateAllowlist(w.db, id, patch));
}

/** Refused while the list has subscribers, unless `force`. */
export async function deleteList(w: AllowlistWriter, id: string, force: boolean): Promise<void> {
  await deleteAllowlist(w.db, id, force);
  await settled(w, undefined);
}

/**
 * When a list applies to the whole instance (an `org` subscription), its items end the active decisions
 * they overlap (either contains the other; any origin, simulated included), as upstream's
 * `cscli allowlists add` does: bouncers receive them in `deleted`, and they stay ended when the item goes.
 * Lists that apply to some bouncers only hide decisions from those bouncers instead (engine/allowlists.ts).
 * Returns how many decisions were expired.
 */
async function expireCoveredDecisions(trx: Transaction<Tables>, listId: string, ranges: readonly IpRange[], now: number): Promise<number> {
  if (ranges.length === 0) return 0;
  const subs = await listSubscribers(trx, listId);
  if (!subs.some((s) => s.entityType === 'org')) return 0;
  const ids = await activeDecisionIdsOverlapping(trx, ranges, now);
  if (ids.length === 0) return 0;
  return expireDecisions(trx, ids, now, await nextSequence(trx), true);
}

/**
 * Adds items (values already checked with parseItemValue) and ends the decisions they cover when the list
 * applies everywhere, in one transaction: a crash between the two would leave an `org` item whose decisions
 * stay active in the store. The list's existence is checked in that transaction (NotFoundError).
 */
export async function addItemsAndApply(
  w: AllowlistWriter,
  listId: string,
  n: NewItems,
  now = Date.now(),
): Promise<AddedItems & { expired: number }> {
  const r = await writeAllowlists(w.db, async (trx) => {
    const added = await addItemsIn(trx, listId, n, now);
    const ranges = added.added.map((i) => i.range);
    return { ...added, expired: await expireCoveredDecisions(trx, listId, ranges, now) };
  });
  return settled(w, r);
}

/** Changes the description and/or the expiration (null: never) of a live item. */
export async function updateListItem(
  w: AllowlistWriter,
  listId: string,
  itemId: string,
  patch: { description?: string; expiresAt?: number | null },
  actor: Actor,
): Promise<AllowlistItem> {
  await requireAllowlist(w.db, listId);
  return settled(w, await updateItem(w.db, listId, itemId, patch, actor));
}

export async function deleteListItem(w: AllowlistWriter, listId: string, itemId: string): Promise<void> {
  await requireAllowlist(w.db, listId);
  await deleteItem(w.db, listId, itemId);
  await settled(w, undefined);
}

/** The entity types a subscription may name. */
export const ACCEPTED_TYPES = SUBSCRIBER_TYPES;
export type AcceptedType = SubscriberType;

export interface SubscribeResult {
  updated: string[];
  /** One `{id: reason}` per id refused, as the console answers. */
  errors: Record<string, string>[];
  /** Decisions ended because the list now applies everywhere. */
  expired: number;
}

/** Why an id cannot be subscribed, or null when it can. */
async function refusal(db: Db, type: string, id: string, organizationId: string): Promise<string | null> {
  switch (type) {
    case 'org':
      return id === organizationId ? null : `unknown organization '${id}': this instance's organization is '${organizationId}'`;
    default:
      return entityRefusal(db, type, id);
  }
}

/**
 * Subscribes entities to a list (the valid ones; the others come back in `errors`). The subscription and the
 * decisions it ends (when the organization subscribes) commit together. NotFoundError for an unknown list.
 */
export async function subscribe(
  w: AllowlistWriter,
  listId: string,
  type: AcceptedType,
  ids: string[],
  organizationId: string,
  now = Date.now(),
): Promise<SubscribeResult> {
  await requireAllowlist(w.db, listId);
  const out: SubscribeResult = { updated: [], errors: [], expired: 0 };
  for (const id of [...new Set(ids)]) {
    const why = await refusal(w.db, type, id, organizationId);
    if (why) out.errors.push({ [id]: why });
    else out.updated.push(id);
  }
  if (out.updated.length === 0) return out;
  out.expired = await writeAllowlists(w.db, async (trx) => {
    const wasEverywhere = (await listSubscribers(trx, listId)).some((s) => s.entityType === 'org');
    await addSubscribersIn(trx, listId, type, out.updated, now);
    if (type !== 'org' || wasEverywhere) return 0;
    const ranges = (await allLiveItems(trx, listId, now)).map((i) => i.range);
    return expireCoveredDecisions(trx, listId, ranges, now);
  });
  return settled(w, out);
}

/** Ends a subscription (of one type, or of any); NotFoundError when there was none. */
export async function unsubscribe(w: AllowlistWriter, listId: string, entityId: string, type?: AcceptedType): Promise<void> {
  await requireAllowlist(w.db, listId);
  if ((await removeSubscriber(w.db, listId, entityId, type)) === 0)
    throw new NotFoundError(`'${entityId}' is not subscribed to allowlist '${listId}'`);
  await settled(w, undefined);
}
