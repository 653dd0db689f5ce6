import { lapiAllowlist } from '../../api/allowlist-wire.js';
import { allLiveItems } from '../../store/allowlist-items.js';
import { listSubscribers } from '../../store/allowlist-subscribers.js';
import type { Db } from '../../store/db.js';
import { rfc3339 } from '../../go-format.js';
import type { Printer } from '../output.js';
import { requireListByName, subscribersText } from './common.js';
import { updatedAt, type ListedAllowlist } from './list.js';
import { readVerb } from '../read-verb.js';

/** One list with its live items and subscribers. Throws CliError `allowlist 'NAME' not found`. */
export async function allowlistsInspect(db: Db, name: string, now = Date.now()): Promise<ListedAllowlist> {
  const list = await requireListByName(db, name);
  return { list, items: await allLiveItems(db, list.id, now), subscribers: await listSubscribers(db, list.id) };
}

const expiration = (at: number | null) => (at === null ? 'never' : rfc3339(at));

export function printAllowlistInspection(out: Printer, { list, items, subscribers }: ListedAllowlist): void {
  switch (out.format) {
    case 'human':
      out.table(
        null,
        [
          ['Name', list.name],
          ['Description', list.description],
          ['Created at', rfc3339(list.createdAt)],
          ['Updated at', updatedAt(list)],
          ['Managed by Console', 'no'],
          ['Subscribers', subscribersText(subscribers)],
        ],
        `Allowlist: ${list.name}`,
      );
      out.line();
      return out.table(
        ['Value', 'Comment', 'Expiration', 'Created at'],
        items.map((i) => [i.value, i.description, expiration(i.expiresAt), rfc3339(i.createdAt)]),
      );
    case 'json':
      return out.json(lapiAllowlist(list, items));
    case 'raw':
      return out.csv(
        ['name', 'description', 'value', 'comment', 'expiration', 'created_at', 'console_managed'],
        items.map((i) => [list.name, list.description, i.value, i.description, expiration(i.expiresAt), rfc3339(i.createdAt), 'false']),
      );
  }
}

export const inspectCommand = readVerb(
  {
    name: 'inspect',
    usage: 'NAME',
    summary: 'Inspect an allowlist',
    examples: ['lapis allowlists inspect my_allowlist'],
    args: { min: 1, max: 1 },
  },
  (db, [name]) => allowlistsInspect(db, name!),
  printAllowlistInspection,
);
