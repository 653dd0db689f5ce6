import { rangeKey } from '../../domain/allowlist.js';
import { inLapiList, type Blocklist, type BlocklistSubscriber } from '../../domain/blocklist.js';
import type { Integration } from '../../domain/integration.js';
import { liveItemCounts } from '../../store/blocklist-items.js';
import { allBlocklistSubscriptions, getBlocklist } from '../../store/blocklists.js';
import type { AppDeps } from '../deps.js';
import type { IntegrationList } from '../blocklist-wire.js';
import { contentTag, mergedRanges, shapedEntries } from '../../usecases/blocklist-content.js';

/** What the blocklist and integration admin routes read beside the store's rows: counts, and the lists an integration reads. */

/**
 * The entries of the built-in `lapi` list: the distinct addresses of this node's active IP and range decisions
 * that pass `api.admin.lapi_blocklist` (as the index holds them; other nodes' decisions are there within their poll).
 */
function lapiCount(deps: Pick<AppDeps, 'feed' | 'config'>, now: number): number {
  const filter = deps.config.admin.lapiFilter;
  const ranges = deps.feed.index.activeRanges((t) => inLapiList(filter, t), now);
  return new Set(ranges.map(rangeKey)).size;
}

/** `stats.count` of each list, by id: live items, or for `lapi` its decisions. */
export async function blocklistCounts(
  deps: Pick<AppDeps, 'db' | 'feed' | 'config'>,
  lists: readonly Blocklist[],
  now: number,
): Promise<Map<string, number>> {
  const counts = await liveItemCounts(
    deps.db,
    lists.filter((l) => l.kind !== 'lapi').map((l) => l.id),
    now,
  );
  for (const l of lists) if (l.kind === 'lapi') counts.set(l.id, lapiCount(deps, now));
  return counts;
}

/** How specific a subscription is, for the remediation an integration shows for a list: its id, then a tag, then `org`. */
const RANK: Record<string, number> = { firewall_integration: 0, remediation_component_integration: 0, tag: 1, org: 2 };

/** Whether a subscription reaches an integration: by its id, by a tag it has, or by the organization. */
function reaches(s: BlocklistSubscriber, i: Integration): boolean {
  if (s.entityType === 'org') return true;
  if (s.entityType === 'tag') return i.tags.includes(s.entityId);
  return (s.entityType === 'firewall_integration' || s.entityType === 'remediation_component_integration') && s.entityId === i.id;
}

/**
 * The lists an integration reads (`blocklists[]`), read from the store, in subscription order; each with the
 * remediation of its most specific subscription. `subs`: every subscription, when the caller already has them.
 */
export async function integrationLists(
  deps: Pick<AppDeps, 'db'>,
  i: Integration,
  subs?: readonly BlocklistSubscriber[],
): Promise<{ list: Blocklist; remediation: string }[]> {
  const best = new Map<string, BlocklistSubscriber>();
  for (const s of subs ?? (await allBlocklistSubscriptions(deps.db))) {
    if (!reaches(s, i)) continue;
    const had = best.get(s.blocklistId);
    if (!had || RANK[s.entityType]! < RANK[had.entityType]!) best.set(s.blocklistId, s);
  }
  const out: { list: Blocklist; remediation: string }[] = [];
  for (const [id, s] of best) {
    const list = await getBlocklist(deps.db, id);
    if (list) out.push({ list, remediation: s.remediation });
  }
  return out;
}

export function wireLists(lists: readonly { list: Blocklist; remediation: string }[]): IntegrationList[] {
  return lists.map(({ list, remediation }) => ({ id: list.id, name: list.name, label: list.label, remediation }));
}

/** Counts by content tag: an integration's count is a pass over its content, done again only when that changes. */
const counted = new Map<string, number>();

/**
 * `stats.count` of an integration: the entries its content serves (lists merged, duplicates and allowlisted
 * values out, aggregated when it aggregates, within its pull limit), from the content pipeline itself.
 */
export async function countFor(
  deps: AppDeps,
  integration: Integration,
  lists: readonly { list: Blocklist }[],
  now = Date.now(),
): Promise<number> {
  if (lists.length === 0) return 0;
  const src = { db: deps.db, index: deps.feed.index, lapiFilter: deps.config.admin.lapiFilter };
  const all = lists.map((l) => l.list);
  const shape = { count: true, a: integration.enableIpAggregation, l: integration.pullLimit, id: integration.id };
  const tag = await contentTag(
    { ...src, decisionsSeq: deps.feed.servedSeq, allowlistsVersion: deps.allowlists.servedVersion },
    all,
    shape,
    now,
  );
  const known = counted.get(tag);
  if (known !== undefined) return known;
  const view = deps.allowlists.viewFor({ kind: 'integration', name: integration.id }, now);
  let n = 0;
  for await (const _ of shapedEntries(mergedRanges(src, all, now), {
    allow: view?.ranges ?? null,
    aggregate: integration.enableIpAggregation,
    limit: integration.pullLimit,
  }))
    n++;
  if (counted.size > 1000) counted.clear();
  counted.set(tag, n);
  return n;
}
