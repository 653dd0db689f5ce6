import { allBlocklistSubscriptions, allBlocklists } from '../../store/blocklists.js';
import { liveItemCounts } from '../../store/blocklist-items.js';
import type { Db } from '../../store/db.js';
import type { Printer } from '../output.js';
import { readVerb } from '../read-verb.js';
import { integrationNames, showBlocklist, shownSubscribers, subscribersText, type ShownBlocklist } from './common.js';

/**
 * Every list, oldest first (the built-in `lapi` list first of all), with its live items and subscribers.
 * The `lapi` list's size is not counted here (it is the active decisions: `inspect lapi` counts them).
 */
export async function blocklistsList(db: Db, now = Date.now()): Promise<ShownBlocklist[]> {
  const lists = await allBlocklists(db);
  const counts = await liveItemCounts(
    db,
    lists.filter((l) => l.kind !== 'lapi').map((l) => l.id),
    now,
  );
  const subs = await allBlocklistSubscriptions(db);
  const names = await integrationNames(db);
  return lists.map((l) =>
    showBlocklist(
      l,
      l.kind === 'lapi' ? null : (counts.get(l.id) ?? 0),
      shownSubscribers(
        subs.filter((s) => s.blocklistId === l.id),
        names,
      ),
    ),
  );
}

const count = (n: number | null) => (n === null ? '-' : String(n));

export function printBlocklists(out: Printer, lists: readonly ShownBlocklist[]): void {
  switch (out.format) {
    case 'human':
      return out.table(
        ['Name', 'Label', 'Kind', 'Items', 'Subscribers', 'Updated at'],
        lists.map((l) => [l.name, l.label, l.kind, count(l.items), subscribersText(l.subscribers), l.updated_at]),
      );
    case 'json':
      return out.json(lists);
    case 'raw':
      return out.csv(
        ['name', 'label', 'kind', 'items', 'subscribers', 'updated_at'],
        lists.map((l) => [l.name, l.label, l.kind, count(l.items), subscribersText(l.subscribers), l.updated_at]),
      );
  }
}

export const listCommand = readVerb(
  {
    name: 'list',
    summary: 'List all blocklists',
    description:
      "List all blocklists: kind (custom: filled with add/import; feed: follows a URL; lapi: the built-in list of this instance's own decisions), live items, subscribers (a list without subscribers is served nowhere).",
    examples: ['lapis blocklists list', 'lapis blocklists list -o json'],
    args: { min: 0, max: 0 },
  },
  (db, _args, _flags, now) => blocklistsList(db, now),
  printBlocklists,
);
