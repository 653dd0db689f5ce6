import type { Transaction } from 'kysely';
import { decisionUntil, LISTS_ORIGIN, listScenario, type BlocklistItem } from '../domain/blocklist.js';
import { liveItems } from './blocklist-items.js';
import { insertDecisions, type DecisionInsert } from './decisions.js';
import type { Tables } from './tables.js';

/**
 * The decisions a blocklist becomes where bouncers read it: one per live item and decision type, origin
 * `lists`, scenario `lists:<name>`, belonging to no alert. They are written and ended only here, in the
 * transaction that changes the list, so that the change sequence carries every list change to streams.
 */

const VALUE_BATCH = 1000;

/** Inserts the decisions of these items, one per type, under the transaction's change sequence. */
export async function insertListDecisions(
  trx: Transaction<Tables>,
  listName: string,
  items: readonly BlocklistItem[],
  types: readonly string[],
  seq: number,
  now: number,
): Promise<void> {
  if (items.length === 0 || types.length === 0) return;
  const scenario = listScenario(listName);
  const rows: DecisionInsert[] = [];
  for (const type of types)
    for (const it of items) {
      if (it.expiresAt !== null && it.expiresAt <= now) continue;
      const single = it.range.prefix === it.range.size * 8;
      rows.push({
        alertId: null,
        now,
        decision: {
          type,
          scope: single ? 'Ip' : 'Range',
          value: it.value,
          origin: LISTS_ORIGIN,
          scenario,
          until: decisionUntil(it, now),
          simulated: false,
          range: it.range,
        },
      });
    }
  await insertDecisions(trx, rows, seq);
}

/**
 * Ends the active decisions of a list (of one type, and/or for some values only); returns how many. Without
 * values, those of the list's live items: a list's active decisions are exactly its live items' (no index on
 * the scenario: on MariaDB one made concurrent inserts and deletes of decisions deadlock), found by value.
 */
export async function expireListDecisions(
  trx: Transaction<Tables>,
  list: { id: string; name: string },
  o: { type?: string; values?: readonly string[] },
  seq: number,
  now: number,
): Promise<number> {
  const scenario = listScenario(list.name);
  const run = async (values: readonly string[]) => {
    let q = trx
      .updateTable('decisions')
      .set({ until: now, seq })
      .where('value', 'in', [...values])
      .where('scenario', '=', scenario)
      .where('origin', '=', LISTS_ORIGIN)
      .where('until', '>', now);
    if (o.type !== undefined) q = q.where('type', '=', o.type);
    return Number((await q.executeTakeFirst()).numUpdatedRows);
  };
  let n = 0;
  if (o.values) {
    for (let i = 0; i < o.values.length; i += VALUE_BATCH) n += await run(o.values.slice(i, i + VALUE_BATCH));
    return n;
  }
  for await (const page of liveItems(trx, list.id, now))
    for (let i = 0; i < page.length; i += VALUE_BATCH) n += await run(page.slice(i, i + VALUE_BATCH).map((it) => it.value));
  return n;
}
