import type { AllowlistState } from '../domain/allowlist.js';
import { toItem } from './allowlist-items.js';
import { toSubscriber } from './allowlist-subscribers.js';
import { toList } from './allowlists.js';
import { allBlocklistSubscriptions } from './blocklists.js';
import type { Db } from './db.js';
import { toTag } from './entity-tags.js';

/** Everything, for the in-memory view (lists are small next to decisions: a few thousand items at most). */
export async function loadAllowlistState(db: Db): Promise<AllowlistState> {
  const [lists, items, subs, tags, blocklistSubscriptions] = await Promise.all([
    db.selectFrom('allowlists').selectAll().orderBy('created_at').orderBy('id').execute(),
    db.selectFrom('allowlist_items').selectAll().orderBy('created_at').orderBy('id').execute(),
    db.selectFrom('allowlist_subscribers').selectAll().orderBy('created_at').execute(),
    db.selectFrom('entity_tags').selectAll().execute(),
    allBlocklistSubscriptions(db),
  ]);
  return {
    lists: new Map(lists.map((r) => [r.id, toList(r)])),
    items: items.map(toItem),
    subscribers: subs.map(toSubscriber),
    tags: tags.map(toTag),
    blocklistSubscriptions,
  };
}
