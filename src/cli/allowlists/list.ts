import { lapiAllowlist } from '../../api/allowlist-wire.js';
import { itemLive, type Allowlist, type AllowlistItem, type Subscriber } from '../../domain/allowlist.js';
import { loadAllowlistState } from '../../store/allowlist-state.js';
import type { Db } from '../../store/db.js';
import { rfc3339 } from '../../go-format.js';
import type { Printer } from '../output.js';
import { subscribersText } from './common.js';
import { readVerb } from '../read-verb.js';

export interface ListedAllowlist {
  list: Allowlist;
  /** Live items, oldest first. */
  items: AllowlistItem[];
  subscribers: Subscriber[];
}

/** Every list, oldest first, with its live items and its subscribers. */
export async function allowlistsList(db: Db, now = Date.now()): Promise<ListedAllowlist[]> {
  const state = await loadAllowlistState(db);
  return [...state.lists.values()].map((list) => ({
    list,
    items: state.items.filter((i) => i.allowlistId === list.id && itemLive(i, now)),
    subscribers: state.subscribers.filter((s) => s.allowlistId === list.id),
  }));
}

/** As the LAPI's wire: an update time of never-updated lists is their creation time. */
export const updatedAt = (l: Allowlist) => rfc3339(l.updatedAt ?? l.createdAt);

export function printAllowlists(out: Printer, lists: readonly ListedAllowlist[]): void {
  switch (out.format) {
    case 'human':
      return out.table(
        ['Name', 'Description', 'Created at', 'Updated at', 'Managed by Console', 'Size', 'Subscribers'],
        lists.map(({ list, items, subscribers }) => [
          list.name,
          list.description,
          rfc3339(list.createdAt),
          updatedAt(list),
          'no',
          String(items.length),
          subscribersText(subscribers),
        ]),
      );
    case 'json':
      // as upstream: the answer of GET /v1/allowlists?with_content=true
      return out.json(lists.map(({ list, items }) => lapiAllowlist(list, items)));
    case 'raw':
      return out.csv(
        ['name', 'description', 'created_at', 'updated_at', 'console_managed', 'size'],
        lists.map(({ list, items }) => [
          list.name,
          list.description,
          rfc3339(list.createdAt),
          updatedAt(list),
          'false',
          String(items.length),
        ]),
      );
  }
}

export const listCommand = readVerb(
  {
    name: 'list',
    summary: 'List all allowlists',
    description: 'List all allowlists, with their size (live items) and their subscribers (a list without subscribers applies nowhere).',
    examples: ['lapis allowlists list'],
    args: { min: 0, max: 0 },
  },
  (db) => allowlistsList(db),
  printAllowlists,
);
