import type { Transaction } from 'kysely';
import type { BlocklistItem } from '../domain/blocklist.js';
import { boundHex, formatRange, type IpRange } from '../domain/ip-range.js';
import { rangeKey } from '../domain/allowlist.js';
import { numOrNull } from './allowlists.js';
import type { Db } from './db.js';
import { rangeFromBounds } from './ip-bounds.js';
import type { BlocklistItemRow, Tables } from './tables.js';

/** Rows per INSERT and per lookup: well under every engine's limit of bound parameters. */
const BATCH = 500;

export function toBlocklistItem(
  r: Pick<BlocklistItemRow, 'ip_size' | 'start_ip' | 'end_ip' | 'value' | 'created_at' | 'expires_at'>,
): BlocklistItem {
  return {
    value: r.value,
    range: rangeFromBounds(Number(r.ip_size), r.start_ip, r.end_ip)!,
    createdAt: Number(r.created_at),
    expiresAt: numOrNull(r.expires_at),
  };
}

function bounds(r: IpRange) {
  return { ip_size: r.size, start_ip: boundHex(r.size, r.start), end_ip: boundHex(r.size, r.end) };
}

/**
 * The stored items (live or not) among these ranges, by rangeKey. Looked up by (list, family, start), the
 * primary key's prefix: an index seek per value, whatever the list's size.
 */
export async function itemsAt(db: Db, listId: string, ranges: readonly IpRange[]): Promise<Map<string, BlocklistItem>> {
  const out = new Map<string, BlocklistItem>();
  for (const size of [4, 16] as const) {
    const family = ranges.filter((r) => r.size === size);
    for (let i = 0; i < family.length; i += BATCH) {
      const part = family.slice(i, i + BATCH).map(bounds);
      const rows = await db
        .selectFrom('blocklist_items')
        .selectAll()
        .where('blocklist_id', '=', listId)
        .where('ip_size', '=', size)
        .where(
          'start_ip',
          'in',
          part.map((b) => b.start_ip),
        )
        .execute();
      const wanted = new Set(part.map((b) => `${b.start_ip}:${b.end_ip}`));
      for (const r of rows) {
        if (!wanted.has(`${r.start_ip}:${r.end_ip}`)) continue;
        const item = toBlocklistItem(r);
        out.set(rangeKey(item.range), item);
      }
    }
  }
  return out;
}

export async function insertItems(trx: Transaction<Tables>, listId: string, items: readonly BlocklistItem[]): Promise<void> {
  for (let i = 0; i < items.length; i += BATCH) {
    await trx
      .insertInto('blocklist_items')
      .values(
        items.slice(i, i + BATCH).map((it) => ({
          blocklist_id: listId,
          ...bounds(it.range),
          value: formatRange(it.range),
          created_at: it.createdAt,
          expires_at: it.expiresAt,
        })),
      )
      .execute();
  }
}

/** Deletes the items at these ranges; returns how many went. */
export async function deleteItemsAt(trx: Transaction<Tables>, listId: string, ranges: readonly IpRange[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < ranges.length; i += BATCH) {
    const part = ranges.slice(i, i + BATCH).map(bounds);
    const r = await trx
      .deleteFrom('blocklist_items')
      .where('blocklist_id', '=', listId)
      .where((eb) =>
        eb.or(part.map((b) => eb.and([eb('ip_size', '=', b.ip_size), eb('start_ip', '=', b.start_ip), eb('end_ip', '=', b.end_ip)]))),
      )
      .executeTakeFirst();
    n += Number(r.numDeletedRows);
  }
  return n;
}

/** Live items per list id (`stats.count`). */
export async function liveItemCounts(db: Db, ids: readonly string[], now: number): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('blocklist_items')
    .select(['blocklist_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('blocklist_id', 'in', [...ids])
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .groupBy('blocklist_id')
    .execute();
  return new Map(rows.map((r) => [r.blocklist_id, Number(r.n)]));
}

/** The next time an item of these lists expires (after `now`), or null: content ETags change then. */
export async function nextItemExpiry(db: Db, ids: readonly string[], now: number): Promise<number | null> {
  if (ids.length === 0) return null;
  const r = await db
    .selectFrom('blocklist_items')
    .select((eb) => eb.fn.min<number>('expires_at').as('t'))
    .where('blocklist_id', 'in', [...ids])
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return numOrNull(r?.t);
}

/** A position in a list's address order: (size, start, end), as stored. */
export interface ItemCursor {
  size: number;
  start: string;
  end: string;
}

/**
 * A page of a list's live items in address order (family, then start, then end, ascending), after `after`:
 * one family at a time, `start >= s` first so that every engine seeks the primary key (list, family, start,
 * end) and walks it without sorting; a million items stream page by page in linear time.
 */
export async function liveItemsPage(
  db: Db,
  listId: string,
  after: ItemCursor | null,
  limit: number,
  now: number,
): Promise<{ items: BlocklistItem[]; next: ItemCursor | null }> {
  for (const size of [4, 16]) {
    if (after && size < after.size) continue;
    let q = db
      .selectFrom('blocklist_items')
      .select(['ip_size', 'start_ip', 'end_ip', 'value', 'created_at', 'expires_at'])
      .where('blocklist_id', '=', listId)
      .where('ip_size', '=', size);
    if (after && after.size === size)
      q = q.where('start_ip', '>=', after.start).where((eb) => eb.or([eb('start_ip', '>', after.start), eb('end_ip', '>', after.end)]));
    const rows = await q.orderBy('start_ip').orderBy('end_ip').limit(limit).execute();
    if (rows.length === 0) continue;
    const last = rows[rows.length - 1]!;
    // a short page of IPv4 still leaves IPv6 to read: the next call starts there
    const next =
      rows.length < limit ? (size === 4 ? { size: 16, start: '', end: '' } : null) : { size, start: last.start_ip, end: last.end_ip };
    const items: BlocklistItem[] = [];
    for (const r of rows) if (r.expires_at === null || Number(r.expires_at) > now) items.push(toBlocklistItem(r));
    return { items, next };
  }
  return { items: [], next: null };
}

/** Every live item of a list, page by page (address order). */
export async function* liveItems(db: Db, listId: string, now: number, pageSize = 10_000): AsyncGenerator<BlocklistItem[]> {
  let after: ItemCursor | null = null;
  for (;;) {
    const page = await liveItemsPage(db, listId, after, pageSize, now);
    if (page.items.length > 0) yield page.items;
    if (!page.next) return;
    after = page.next;
  }
}
