import { createHash } from 'node:crypto';
import { tagsOf, type AllowlistState, type Entity } from '../domain/allowlist.js';
import { inLapiList, type Blocklist, type LapiListFilter } from '../domain/blocklist.js';
import { CidrAggregator, compareRanges, RangeUnion } from '../domain/cidr.js';
import { integrationLine, type OutputFormat } from '../domain/integration-formats.js';
import { formatRange, type IpRange } from '../domain/ip-range.js';
import type { RangeSet } from '../domain/range-set.js';
import type { DecisionIndex } from '../engine/decision-index.js';
import { liveItems, nextItemExpiry } from '../store/blocklist-items.js';
import type { Db } from '../store/db.js';

/**
 * What firewalls read: the content of blocklists as text, one entry per line, in address order. A million
 * entries stream page by page from the store (or from the index, for the built-in `lapi` list) through a
 * pipeline that holds one pending entry per stage: merge of the lists, allowlists, deduplication or CIDR
 * aggregation, paging, the integration's line format.
 */

export interface ContentSources {
  db: Db;
  index: DecisionIndex;
  lapiFilter: LapiListFilter;
}

/** The ids of the lists an integration reads: subscribed to it by id, through a tag it has, or by the organization. */
export function listsOfIntegration(state: AllowlistState, id: string): Set<string> {
  const e: Entity = { kind: 'integration', name: id };
  const tags = tagsOf(state, e);
  const out = new Set<string>();
  for (const s of state.blocklistSubscriptions) {
    const hit =
      s.entityType === 'org' ||
      (s.entityType === 'tag' && tags.has(s.entityId)) ||
      ((s.entityType === 'firewall_integration' || s.entityType === 'remediation_component_integration') && s.entityId === id);
    if (hit) out.add(s.blocklistId);
  }
  return out;
}

/** One list's live entries in compareRanges order (page by page from the store, or from the index for `lapi`). */
async function* listRanges(src: ContentSources, list: Blocklist, now: number): AsyncGenerator<IpRange> {
  if (list.kind === 'lapi') {
    const ranges = src.index.activeRanges((t) => inLapiList(src.lapiFilter, t), now);
    ranges.sort(compareRanges);
    yield* ranges;
    return;
  }
  // the store's order has equal starts by ascending end; compareRanges wants the container first
  let group: IpRange[] = [];
  // small pages: rows die young (in the nursery) instead of surviving an await into the old space
  for await (const page of liveItems(src.db, list.id, now, 2000)) {
    for (const it of page) {
      const r = it.range;
      if (group.length > 0 && (group[0]!.size !== r.size || group[0]!.start !== r.start)) {
        yield* group.reverse();
        group = [];
      }
      group.push(r);
    }
  }
  yield* group.reverse();
}

/** The entries of several lists merged into one compareRanges order (duplicates kept: the next stage drops them). */
export async function* mergedRanges(src: ContentSources, lists: readonly Blocklist[], now: number): AsyncGenerator<IpRange> {
  const its = lists.map((l) => listRanges(src, l, now));
  const heads: (IpRange | null)[] = [];
  for (const it of its) {
    const n = await it.next();
    heads.push(n.done ? null : n.value);
  }
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h && (best < 0 || compareRanges(h, heads[best]!) < 0)) best = i;
    }
    if (best < 0) return;
    yield heads[best]!;
    const n = await its[best]!.next();
    heads[best] = n.done ? null : n.value;
  }
}

export interface ContentShape {
  /** Allowlisted ranges: an entry overlapping one is left out (as bouncers are not served it). */
  allow: RangeSet | null;
  /** Merge into the fewest CIDR blocks rather than only dropping duplicates and contained entries. */
  aggregate: boolean;
  /** The most entries served (the first ones in address order); null: all. */
  limit: number | null;
}

/** The entries an integration serves, after allowlists, deduplication or aggregation, and its pull limit. */
export async function* shapedEntries(ranges: AsyncIterable<IpRange>, o: ContentShape): AsyncGenerator<IpRange> {
  let n = 0;
  const limit = o.limit ?? Infinity;
  if (limit <= 0) return;
  const union = new RangeUnion();
  const agg = new CidrAggregator();
  for await (const r of ranges) {
    if (o.allow?.overlaps(r)) continue;
    const out = o.aggregate ? agg.push(r) : union.push(r) ? [r] : [];
    for (const e of out) {
      yield e;
      if (++n >= limit) return;
    }
  }
  if (o.aggregate)
    for (const e of agg.end()) {
      yield e;
      if (++n >= limit) return;
    }
}

export interface Page {
  /** 1-based. */
  page: number;
  /** Null: everything from the start. */
  size: number | null;
}

/**
 * The lines of one page in a format, as text chunks of about 64 KiB (each line ends with `\n`). Positions
 * (Check Point's unique names) count from the start of the whole content, so pages never reuse a name.
 */
export async function* contentChunks(
  entries: AsyncIterable<IpRange>,
  format: OutputFormat,
  name: string,
  page: Page,
): AsyncGenerator<string> {
  const first = page.size === null ? 0 : (page.page - 1) * page.size;
  const stop = page.size === null ? Infinity : first + page.size;
  let i = 0;
  let buf = '';
  for await (const e of entries) {
    if (i >= stop) break;
    if (i >= first) {
      buf += `${integrationLine(format, e, i + 1, name)}\n`;
      if (buf.length >= 65_536) {
        yield buf;
        buf = '';
      }
    }
    i++;
  }
  if (buf.length > 0) yield buf;
}

/** A list's download: its live items, one per line, in address order (as stored: no allowlist, no merging). */
export async function* downloadChunks(src: ContentSources, list: Blocklist, now: number): AsyncGenerator<string> {
  let buf = '';
  let last: IpRange | null = null;
  for await (const r of listRanges(src, list, now)) {
    // the `lapi` list holds one entry per decision: a value two decisions share is written once
    if (last && compareRanges(last, r) === 0) continue;
    last = r;
    buf += `${formatRange(r)}\n`;
    if (buf.length >= 65_536) {
      yield buf;
      buf = '';
    }
  }
  if (buf.length > 0) yield buf;
}

/** The first chunk, if any, and the rest: a 204 is known before the status line is sent. */
export async function peekChunks(chunks: AsyncGenerator<string>): Promise<{ first: string | null; rest: AsyncGenerator<string> }> {
  const n = await chunks.next();
  return { first: n.done ? null : n.value, rest: chunks };
}

/**
 * What a content's ETag is made of: the lists' content versions, when their next item expires, the allowlists
 * version, and for `lapi` the decisions' sequence and next expiry; plus whatever shapes the answer. Strong and
 * opaque; equal exactly when the bytes would be.
 */
export async function contentTag(
  src: ContentSources & { decisionsSeq: number; allowlistsVersion: number },
  lists: readonly Blocklist[],
  shape: unknown,
  now: number,
): Promise<string> {
  const custom = lists.filter((l) => l.kind !== 'lapi');
  const parts: unknown[] = [
    shape,
    src.allowlistsVersion,
    custom.map((l) => [l.id, l.contentVersion]),
    await nextItemExpiry(
      src.db,
      custom.map((l) => l.id),
      now,
    ),
  ];
  if (lists.some((l) => l.kind === 'lapi')) parts.push(src.decisionsSeq, src.index.earliestUntil(now), src.lapiFilter);
  return `"${createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 32)}"`;
}
