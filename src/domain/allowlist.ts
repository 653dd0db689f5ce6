import { randomBytes } from 'node:crypto';
import type { BlocklistSubscription } from './blocklist.js';
import { baseName } from './bouncer-name.js';
import { boundHex, parseIpOrRange, type IpRange } from './ip-range.js';

/**
 * Allowlists: lists of IPs and CIDR ranges that must never be banned, and the subscriptions that say
 * where each list applies (as on the CrowdSec console, a list nobody subscribes to applies nowhere).
 * Times are epoch milliseconds.
 */

/** Who made a change: an admin API key by its name, or a user of the CLI. */
export interface Actor {
  source_type: 'apikey' | 'user';
  identifier: string;
}

export interface Allowlist {
  id: string;
  name: string;
  description: string;
  createdAt: number;
  updatedAt: number | null;
}

export type ItemScope = 'ip' | 'range';

export interface AllowlistItem {
  id: string;
  allowlistId: string;
  value: string;
  scope: ItemScope;
  description: string;
  createdAt: number;
  updatedAt: number | null;
  createdBy: Actor;
  updatedBy: Actor | null;
  /** Null: the item never expires. */
  expiresAt: number | null;
  range: IpRange;
}

export const SUBSCRIBER_TYPES = ['org', 'engine', 'remediation_component_integration', 'firewall_integration', 'tag'] as const;
export type SubscriberType = (typeof SUBSCRIBER_TYPES)[number];

export interface Subscriber {
  allowlistId: string;
  entityType: SubscriberType;
  entityId: string;
}

/** Who lists apply to: machines, bouncers, and integrations (by id). */
export type EntityKind = 'machine' | 'bouncer' | 'integration';

export interface EntityTag {
  kind: EntityKind;
  name: string;
  tag: string;
}

/** Everything allowlists are made of, as one node holds it. */
export interface AllowlistState {
  lists: ReadonlyMap<string, Allowlist>;
  items: readonly AllowlistItem[];
  subscribers: readonly Subscriber[];
  tags: readonly EntityTag[];
  /** Who blocklists are served to: versioned with the allowlists, as tags are shared (engine/blocklist-audience.ts). */
  blocklistSubscriptions: readonly BlocklistSubscription[];
}

export const EMPTY_STATE: AllowlistState = { lists: new Map(), items: [], subscribers: [], tags: [], blocklistSubscriptions: [] };

let idCounter = randomBytes(3).readUIntBE(0, 3);

/**
 * An opaque id of 24 hex digits, laid out as a MongoDB ObjectId (the console's ids look like these):
 * seconds, a counter, random bytes. Ids made by one process in one second sort in creation order.
 */
export function newId(now = Date.now()): string {
  idCounter = (idCounter + 1) % 0x1000000;
  return (
    Math.floor(now / 1000)
      .toString(16)
      .padStart(8, '0') +
    idCounter.toString(16).padStart(6, '0') +
    randomBytes(5).toString('hex')
  );
}

/** An item applies until its expiration; one whose expiration has come is gone from every view. */
export function itemLive(item: AllowlistItem, now: number): boolean {
  return item.expiresAt === null || item.expiresAt > now;
}

/** Parses an item value: an IPv4/IPv6 address (scope `ip`) or a CIDR range (scope `range`). Throws IpParseError. */
export function parseItemValue(raw: string): { value: string; scope: ItemScope; range: IpRange } {
  const value = raw.trim();
  const range = parseIpOrRange(value);
  return { value, scope: value.includes('/') ? 'range' : 'ip', range };
}

/** The key two items share when they cover exactly the same addresses (`10.0.0.1` and `10.0.0.1/32`). */
export function rangeKey(r: IpRange): string {
  return `${r.size}:${boundHex(r.size, r.start)}:${boundHex(r.size, r.end)}`;
}

export interface Entity {
  kind: EntityKind;
  name: string;
}

/** The tags of an entity: its own, and for a `name@ip` bouncer, those of `name` too. */
export function tagsOf(state: AllowlistState, e: Entity): Set<string> {
  const base = e.kind === 'bouncer' ? baseName(e.name) : e.name;
  return new Set(state.tags.filter((t) => t.kind === e.kind && (t.name === e.name || t.name === base)).map((t) => t.tag));
}

/** Whether a subscription makes its list apply to an entity. */
export function subscriptionCovers(s: Subscriber, e: Entity, tags: ReadonlySet<string>): boolean {
  switch (s.entityType) {
    case 'org':
      return true;
    case 'engine':
      return e.kind === 'machine' && s.entityId === e.name;
    case 'remediation_component_integration':
      if (e.kind === 'integration') return s.entityId === e.name;
      return e.kind === 'bouncer' && (s.entityId === e.name || s.entityId === baseName(e.name));
    case 'firewall_integration':
      return e.kind === 'integration' && s.entityId === e.name;
    case 'tag':
      return tags.has(s.entityId);
  }
}

/** The ids of the lists that apply to an entity. */
export function listsCovering(state: AllowlistState, e: Entity): Set<string> {
  const tags = tagsOf(state, e);
  return new Set(state.subscribers.filter((s) => subscriptionCovers(s, e, tags)).map((s) => s.allowlistId));
}

/** The ids of the lists that apply somewhere (those with at least one subscriber). */
export function subscribedLists(state: AllowlistState): Set<string> {
  return new Set(state.subscribers.map((s) => s.allowlistId));
}

/** The ids of the lists that apply to the whole instance (an `org` subscription). */
export function instanceWideLists(state: AllowlistState): Set<string> {
  return new Set(state.subscribers.filter((s) => s.entityType === 'org').map((s) => s.allowlistId));
}

/** CIDR blocks are nested or disjoint, so an item and a value nest (either contains the other) exactly when they overlap. */
export function overlaps(a: IpRange, b: IpRange): boolean {
  return a.size === b.size && a.start <= b.end && b.start <= a.end;
}

export interface Match {
  item: AllowlistItem;
  list: Allowlist;
}

/** The live items of these lists that nest with `r`, sorted by list name (byte order) as upstream. */
export function matchingItems(state: AllowlistState, r: IpRange, lists: ReadonlySet<string>, now: number): Match[] {
  const out: Match[] = [];
  for (const item of state.items) {
    if (!lists.has(item.allowlistId) || !itemLive(item, now) || !overlaps(item.range, r)) continue;
    const list = state.lists.get(item.allowlistId);
    if (list) out.push({ item, list });
  }
  return out.sort((a, b) => (a.list.name < b.list.name ? -1 : a.list.name > b.list.name ? 1 : 0));
}

/** Upstream's reason text: `<item> from <list>` with ` (<description>)` when the item has one. */
export function reasonOf(m: Match): string {
  return `${m.item.value} from ${m.list.name}${m.item.description ? ` (${m.item.description})` : ''}`;
}
