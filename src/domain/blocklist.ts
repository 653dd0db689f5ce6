import type { IpRange } from './ip-range.js';

/**
 * Blocklists: lists of IPs and CIDR ranges to block, in the shapes of the console's Service API, and the
 * subscriptions that say who is served them. A list subscribed where bouncers read becomes decisions of
 * origin `lists` and scenario `lists:<name>` (as upstream serves the lists it pulls from the central API);
 * firewalls read lists as text from an integration's content endpoint. Times are epoch milliseconds.
 */

/** `custom`: items written through the API or the CLI; `feed`: items from a URL; `lapi`: this instance's decisions (built in, read-only). */
export type BlocklistKind = 'custom' | 'feed' | 'lapi';

export interface FeedState {
  url: string;
  refreshMs: number;
  etag: string | null;
  lastModified: string | null;
  checkedAt: number | null;
  okAt: number | null;
  error: string | null;
}

export interface Blocklist {
  id: string;
  name: string;
  label: string;
  description: string;
  references: string[];
  tags: string[];
  createdAt: number;
  updatedAt: number;
  kind: BlocklistKind;
  contentVersion: number;
  feed: FeedState | null;
}

export interface BlocklistItem {
  value: string;
  range: IpRange;
  createdAt: number;
  /** Null: never expires. */
  expiresAt: number | null;
}

export const BLOCKLIST_SUBSCRIBER_TYPES = ['org', 'tag', 'engine', 'firewall_integration', 'remediation_component_integration'] as const;
export type BlocklistSubscriberType = (typeof BLOCKLIST_SUBSCRIBER_TYPES)[number];

export interface BlocklistSubscriber {
  blocklistId: string;
  entityType: BlocklistSubscriberType;
  entityId: string;
  remediation: string;
}

/** A subscription with what the in-memory views need of its list. */
export interface BlocklistSubscription extends BlocklistSubscriber {
  listName: string;
  listKind: BlocklistKind;
}

/** The built-in list of the instance's own decisions. */
export const LAPI_LIST_NAME = 'lapi';
/** Its id: fixed, so that every node and every restart agrees on it. */
export const LAPI_LIST_ID = '000000000000000000000001';

export const LISTS_ORIGIN = 'lists';
export const DEFAULT_REMEDIATION = 'ban';

/** The scenario of the decisions a list becomes. */
export const listScenario = (name: string) => `lists:${name}`;

/**
 * The `until` of decisions made from items that never expire: ten years from when they were made. Long
 * enough never to lapse in practice, short enough that every bouncer's timeout arithmetic stays in range.
 */
export const NO_EXPIRY_HORIZON_MS = 10 * 365 * 24 * 3600 * 1000;

/** The most values one request may add, replace or delete (the Service API's 412 limit). */
export const MAX_IPS_PER_REQUEST = 20_000;

/** Whether a subscription of this type makes the list's values decisions that bouncers read (firewalls read text instead). */
export function servedAsDecisions(type: BlocklistSubscriberType): boolean {
  return type !== 'firewall_integration';
}

/** An item applies until its expiration. */
export function blocklistItemLive(item: { expiresAt: number | null }, now: number): boolean {
  return item.expiresAt === null || item.expiresAt > now;
}

/** The `until` of the decision an item becomes. */
export function decisionUntil(item: { expiresAt: number | null }, now: number): number {
  return item.expiresAt ?? now + NO_EXPIRY_HORIZON_MS;
}

/**
 * The (list, decision type) pairs a list becomes: one per remediation among the subscriptions that reach
 * bouncers. The key is `<scenario>\u0000<type>`, as the index's tuples carry them.
 */
export function pairKey(scenario: string, type: string): string {
  return `${scenario}\u0000${type}`;
}

/** What the built-in `lapi` list keeps of the instance's decisions (cs-blocklist-mirror's filter keys). */
export interface LapiListFilter {
  /** Origins kept (any case); empty: all. */
  origins: readonly string[];
  /** Scenario substrings, one of which must appear (any case); empty: all. */
  scenariosContaining: readonly string[];
  scenariosNotContaining: readonly string[];
  /** Decision types kept (any case); empty: all. */
  types: readonly string[];
}

export const NO_LAPI_FILTER: LapiListFilter = { origins: [], scenariosContaining: [], scenariosNotContaining: [], types: [] };

/**
 * Whether a decision's shared attributes put it in the `lapi` list: an IP or range decision that passes the
 * filter, not simulated, and not itself made from a blocklist (a list fed back into a list would echo).
 */
export function inLapiList(
  f: LapiListFilter,
  d: { origin: string; scenario: string; scope: string; type: string; simulated: boolean },
): boolean {
  if (d.origin === LISTS_ORIGIN || d.simulated) return false;
  const scope = d.scope.toLowerCase();
  if (scope !== 'ip' && scope !== 'range') return false;
  if (f.origins.length > 0 && !f.origins.some((o) => o.toLowerCase() === d.origin.toLowerCase())) return false;
  if (f.types.length > 0 && !f.types.some((t) => t.toLowerCase() === d.type.toLowerCase())) return false;
  const sc = d.scenario.toLowerCase();
  if (f.scenariosContaining.length > 0 && !f.scenariosContaining.some((x) => sc.includes(x.toLowerCase()))) return false;
  return !f.scenariosNotContaining.some((x) => sc.includes(x.toLowerCase()));
}
