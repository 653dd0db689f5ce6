import { SUBSCRIBER_TYPES, type SubscriberType } from '../domain/allowlist.js';
import type { IpRange } from '../domain/ip-range.js';
import type { Transaction } from 'kysely';
import { addItemsIn, allLiveItems, type AddedItems, type NewItems } from '../store/allowlist-items.js';
import { addSubscribersIn, listSubscribers } from '../store/allowlist-subscribers.js';
import { writeAllowlists } from '../store/allowlists.js';
import { getBouncer } from '../store/bouncers.js';
import type { Db } from '../store/db.js';
import { activeDecisionIdsOverlapping, expireDecisions, nextSequence } from '../store/decisions.js';
import type { Tables } from '../store/tables.js';
import { getMachine } from '../store/machines.js';

/** The allowlist operations the admin API and the CLI share: they change decisions as well as lists. */

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
 * Adds items and ends the decisions they cover when the list applies everywhere, in one transaction: a
 * crash between the two would leave an `org` item whose decisions stay active in the store.
 */
export async function addItemsAndApply(db: Db, listId: string, n: NewItems, now = Date.now()): Promise<AddedItems & { expired: number }> {
  return writeAllowlists(db, async (trx) => {
    const added = await addItemsIn(trx, listId, n, now);
    const expired = await expireCoveredDecisions(
      trx,
      listId,
      added.added.map((i) => i.range),
      now,
    );
    return { ...added, expired };
  });
}

/** The entity types a subscription may name; `firewall_integration` is the console's, with no meaning here. */
export const ACCEPTED_TYPES = [...SUBSCRIBER_TYPES, 'firewall_integration'] as const;

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
    case 'engine':
      return (await getMachine(db, id)) ? null : `no machine named '${id}'`;
    case 'remediation_component_integration':
      return (await getBouncer(db, id)) ? null : `no bouncer named '${id}'`;
    case 'tag':
      return id.trim() === '' ? 'a tag cannot be empty' : null;
    default:
      return 'firewall integrations are not supported by Lapis: subscribe the bouncer (remediation_component_integration) instead';
  }
}

/** Subscribes entities to a list (the valid ones; the others come back in `errors`). */
export async function subscribe(
  db: Db,
  listId: string,
  type: (typeof ACCEPTED_TYPES)[number],
  ids: string[],
  organizationId: string,
  now = Date.now(),
): Promise<SubscribeResult> {
  const out: SubscribeResult = { updated: [], errors: [], expired: 0 };
  for (const id of [...new Set(ids)]) {
    const why = await refusal(db, type, id, organizationId);
    if (why) out.errors.push({ [id]: why });
    else out.updated.push(id);
  }
  if (out.updated.length === 0) return out;
  // the subscription and the decisions it ends commit together
  out.expired = await writeAllowlists(db, async (trx) => {
    const wasEverywhere = (await listSubscribers(trx, listId)).some((s) => s.entityType === 'org');
    await addSubscribersIn(trx, listId, type as SubscriberType, out.updated, now);
    if (type !== 'org' || wasEverywhere) return 0;
    return expireCoveredDecisions(
      trx,
      listId,
      (await allLiveItems(trx, listId, now)).map((i) => i.range),
      now,
    );
  });
  return out;
}
