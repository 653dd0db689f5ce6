import { inLapiList, NO_LAPI_FILTER, type LapiListFilter } from '../../domain/blocklist.js';
import { compareRanges } from '../../domain/cidr.js';
import { formatRange } from '../../domain/ip-range.js';
import { rfc3339 } from '../../go-format.js';
import { liveItemCounts, liveItems } from '../../store/blocklist-items.js';
import { blocklistSubscribers } from '../../store/blocklists.js';
import type { Db } from '../../store/db.js';
import { CliError } from '../context.js';
import type { Printer } from '../output.js';
import { readVerb } from '../read-verb.js';
import {
  integrationNames,
  loadActiveIndex,
  requireBlocklistByName,
  showBlocklist,
  shownSubscribers,
  type ShownBlocklist,
} from './common.js';

/** Items shown by inspect; the whole content is `download`'s. */
export const FIRST_ITEMS = 20;

export interface ShownItem {
  value: string;
  /** RFC 3339, or null: never (the `lapi` list's entries carry no expiration here). */
  expiration: string | null;
  created_at: string | null;
}

export interface BlocklistInspection extends ShownBlocklist {
  first_items: ShownItem[];
}

/**
 * One list with its subscribers, its live item count and its first items in address order. For the built-in
 * `lapi` list, the active IP and range decisions are loaded to count them. Throws CliError `blocklist 'NAME' not found`.
 */
export async function blocklistsInspect(
  db: Db,
  name: string,
  now = Date.now(),
  lapiFilter: LapiListFilter = NO_LAPI_FILTER,
): Promise<BlocklistInspection> {
  const list = await requireBlocklistByName(db, name);
  const subs = shownSubscribers(await blocklistSubscribers(db, list.id), await integrationNames(db));
  let count: number;
  const first: ShownItem[] = [];
  if (list.kind === 'lapi') {
    const ranges = (await loadActiveIndex(db, now)).activeRanges((t) => inLapiList(lapiFilter, t), now).sort(compareRanges);
    count = ranges.length;
    for (const r of ranges.slice(0, FIRST_ITEMS)) first.push({ value: formatRange(r), expiration: null, created_at: null });
  } else {
    count = (await liveItemCounts(db, [list.id], now)).get(list.id) ?? 0;
    for await (const page of liveItems(db, list.id, now, FIRST_ITEMS)) {
      for (const it of page.slice(0, FIRST_ITEMS - first.length)) {
        first.push({
          value: it.value,
          expiration: it.expiresAt === null ? null : rfc3339(it.expiresAt),
          created_at: rfc3339(it.createdAt),
        });
      }
      if (first.length >= FIRST_ITEMS) break;
    }
  }
  return { ...showBlocklist(list, count, subs), first_items: first };
}

export function printBlocklistInspection(out: Printer, b: BlocklistInspection): void {
  if (out.format === 'raw') throw new CliError("output format 'raw' not supported for this command");
  if (out.format === 'json') return out.json(b);
  const rows: string[][] = [
    ['Name', b.name],
    ['ID', b.id],
    ['Label', b.label],
    ['Description', b.description],
    ['Kind', b.kind],
    ['Items', String(b.items)],
    ['Created at', b.created_at],
    ['Updated at', b.updated_at],
  ];
  if (b.feed) {
    rows.push(
      ['Feed URL', b.feed.url],
      ['Refresh', b.feed.refresh],
      ['Last check', b.feed.last_check ?? 'never'],
      ['Last success', b.feed.last_success ?? 'never'],
      ['Feed error', b.feed.error ?? 'none'],
    );
  }
  out.table(null, rows, `Blocklist: ${b.name}`);
  out.line();
  if (b.subscribers.length === 0) out.line('No subscribers: the list is served nowhere.');
  else
    out.table(
      ['Subscriber type', 'ID', 'Name', 'Remediation'],
      b.subscribers.map((s) => [s.entity_type, s.id, s.name ?? '', s.remediation]),
    );
  out.line();
  if (b.first_items.length === 0) return out.line('No items.');
  out.table(
    ['Value', 'Expiration', 'Created at'],
    // the `lapi` list's entries are decisions: their times are the decisions', not shown here
    b.first_items.map((i) => [i.value, i.created_at === null ? '-' : (i.expiration ?? 'never'), i.created_at ?? '-']),
  );
  const more = (b.items ?? 0) - b.first_items.length;
  if (more > 0) out.line(`... and ${more} more (lapis blocklists download ${b.name})`);
}

export const inspectCommand = readVerb(
  {
    name: 'inspect',
    usage: 'NAME',
    summary: 'Inspect a blocklist',
    description: `Show a blocklist: its details, feed status, subscribers (with their remediation), item count and first ${FIRST_ITEMS} items in address order.`,
    examples: ['lapis blocklists inspect scanners', 'lapis blocklists inspect lapi -o json'],
    args: { min: 1, max: 1 },
  },
  (db, [name], _flags, now, config) => blocklistsInspect(db, name!, now, config.admin.lapiFilter),
  printBlocklistInspection,
);
