import {
  BLOCKLIST_SUBSCRIBER_TYPES,
  MAX_IPS_PER_REQUEST,
  type Blocklist,
  type BlocklistSubscriber,
  type BlocklistSubscriberType,
} from '../../domain/blocklist.js';
import { formatGoDuration } from '../../domain/duration.js';
import { IpParseError, parseIpOrRange, type IpRange } from '../../domain/ip-range.js';
import { parseTimestamp } from '../../domain/timestamp.js';
import { DecisionIndex } from '../../engine/decision-index.js';
import { displayFeedUrl } from '../../engine/feed-fetch.js';
import { rfc3339 } from '../../go-format.js';
import { getBlocklistByName } from '../../store/blocklists.js';
import type { Db } from '../../store/db.js';
import { liveSinceBySequence } from '../../store/decisions.js';
import { getIntegrationByName, pageIntegrations } from '../../store/integrations.js';
import { durationFlag, stringFlag, type FlagValues } from '../args.js';
import { CliError } from '../context.js';

/**
 * Values sent to the store per call (each call one transaction): the Service API's limit on one request,
 * so that a CLI import commits in the same steps an API client would, and a running server never waits
 * on one huge write.
 */
export const BATCH = MAX_IPS_PER_REQUEST;

/** The list of that name, or CliError `blocklist 'NAME' not found`. */
export async function requireBlocklistByName(db: Db, name: string): Promise<Blocklist> {
  const list = await getBlocklistByName(db, name);
  if (!list) throw new CliError(`blocklist '${name}' not found`);
  return list;
}

/** Values parsed as IPs or CIDRs; the refused ones as IpParseError messages (`invalid ip address 'bar'`), in order. */
export function parseValues(values: readonly string[]): { ranges: IpRange[]; invalid: string[] } {
  const ranges: IpRange[] = [];
  const invalid: string[] = [];
  for (const v of values) {
    try {
      ranges.push(parseIpOrRange(v.trim()));
    } catch (err) {
      if (!(err instanceof IpParseError)) throw err;
      invalid.push(err.message);
    }
  }
  return { ranges, invalid };
}

/**
 * `-e/--expiration`: a duration from now (days allowed: `7d`, `1d12h`) or an RFC 3339 date-time
 * (`2030-01-01T00:00:00Z`). Absent or `0`: never. A negative duration or a past date is refused.
 */
export function expirationFlag(flags: FlagValues, now: number): number | null {
  const raw = stringFlag(flags, 'expiration');
  if (raw === undefined) return null;
  if (/^\d{4}-\d{2}-\d{2}/.test(raw.trim())) {
    const at = parseTimestamp(raw);
    if (at <= now) throw new CliError(`the expiration must be in the future, got '${raw}'`);
    return at;
  }
  const ms = durationFlag(flags, 'expiration', 'e', 0);
  if (ms < 0) throw new CliError(`the expiration must be positive, got '${raw}'`);
  // whole milliseconds: a Go duration can carry a fraction the time columns cannot
  return ms === 0 ? null : Math.round(now + ms);
}

export const EXPIRATION_FLAG = {
  type: 'string',
  short: 'e',
  valueName: 'duration|date-time',
  description: 'when the values expire: a duration (7d, 1d12h) or an RFC 3339 date-time (2030-01-01T00:00:00Z); default: never',
} as const;

/** Calls `fn` on consecutive slices of at most BATCH, in order; `progress` gets the running count. */
export async function inBatches<T>(
  items: readonly T[],
  fn: (batch: readonly T[]) => Promise<void>,
  progress: (done: number) => void = () => {},
): Promise<void> {
  for (let i = 0; i < items.length; i += BATCH) {
    const batch = items.slice(i, i + BATCH);
    await fn(batch);
    progress(i + batch.length);
  }
}

const TYPE_ALIASES: Record<string, BlocklistSubscriberType> = {
  ...Object.fromEntries(BLOCKLIST_SUBSCRIBER_TYPES.map((t) => [t, t])),
  machine: 'engine',
  bouncer: 'remediation_component_integration',
  firewall: 'firewall_integration',
  remediation_component: 'remediation_component_integration',
};

export const SUBSCRIBER_TYPE_HELP =
  'org, tag, engine (or machine), firewall_integration (or firewall), remediation_component_integration (or bouncer, remediation_component)';

/** `-t/--type`: a subscriber type or one of its aliases. */
export function subscriberType(raw: string): BlocklistSubscriberType {
  const t = TYPE_ALIASES[raw];
  if (!t) throw new CliError(`invalid type '${raw}': must be one of ${SUBSCRIBER_TYPE_HELP}`);
  return t;
}

/**
 * The id a subscription stores for what the user named: integrations by name or id (their id is stored);
 * for `remediation_component_integration`, a name that is no integration's stays (a bouncer's name).
 */
export async function subscriberId(db: Db, type: BlocklistSubscriberType, ref: string): Promise<string> {
  if (type !== 'firewall_integration' && type !== 'remediation_component_integration') return ref;
  const byName = await getIntegrationByName(db, ref);
  if (byName) return byName.id;
  return ref;
}

/** Integration names by id, to show subscriptions by name. */
export async function integrationNames(db: Db): Promise<Map<string, string>> {
  const all = await pageIntegrations(db, 0, 1_000_000);
  return new Map(all.map((i) => [i.id, i.name]));
}

/** One subscription as the CLI shows it: integrations by name as well as id. */
export interface ShownSubscriber {
  entity_type: BlocklistSubscriberType;
  id: string;
  /** The integration's name, for integration subscriptions to an existing integration. */
  name?: string;
  remediation: string;
}

export function shownSubscribers(subs: readonly BlocklistSubscriber[], names: ReadonlyMap<string, string>): ShownSubscriber[] {
  return subs.map((s) => {
    const name = s.entityType.endsWith('_integration') ? names.get(s.entityId) : undefined;
    return { entity_type: s.entityType, id: s.entityId, ...(name !== undefined ? { name } : {}), remediation: s.remediation };
  });
}

/** The Subscribers column: `org, tag:edge, firewall_integration:fw-01`, or `none`. */
export function subscribersText(subs: readonly ShownSubscriber[]): string {
  if (subs.length === 0) return 'none';
  return subs.map((s) => (s.entity_type === 'org' ? 'org' : `${s.entity_type}:${s.name ?? s.id}`)).join(', ');
}

/** A list as `list`, `inspect` and `create -o json` print it. */
export interface ShownBlocklist {
  id: string;
  name: string;
  label: string;
  description: string;
  kind: Blocklist['kind'];
  /** Live items (for `lapi`: the active IP and range decisions); null when not counted. */
  items: number | null;
  created_at: string;
  updated_at: string;
  feed: {
    url: string;
    refresh: string;
    last_check: string | null;
    last_success: string | null;
    error: string | null;
  } | null;
  subscribers: ShownSubscriber[];
}

/** The feed URL without credentials or query (it may carry a key). */
function shownUrl(url: string): string {
  try {
    return displayFeedUrl(new URL(url));
  } catch {
    return url;
  }
}

export function showBlocklist(list: Blocklist, items: number | null, subscribers: ShownSubscriber[]): ShownBlocklist {
  const at = (ms: number | null) => (ms === null ? null : rfc3339(ms));
  return {
    id: list.id,
    name: list.name,
    label: list.label,
    description: list.description,
    kind: list.kind,
    items,
    created_at: rfc3339(list.createdAt),
    updated_at: rfc3339(list.updatedAt),
    feed: list.feed && {
      url: shownUrl(list.feed.url),
      refresh: formatGoDuration(list.feed.refreshMs),
      last_check: at(list.feed.checkedAt),
      last_success: at(list.feed.okAt),
      error: list.feed.error,
    },
    subscribers,
  };
}

/** Rows read per query while loading the decisions, as the server's decision feed does at start. */
const LOAD_PAGE = 20_000;

/**
 * The active decisions in a fresh index, loaded page by page as the server's DecisionFeed does at start:
 * what the built-in `lapi` list is made of (the CLI has no running index to read).
 */
export async function loadActiveIndex(db: Db, now: number): Promise<DecisionIndex> {
  const index = new DecisionIndex();
  for (let after = { seq: 0, id: 0 }; ; ) {
    const page = await liveSinceBySequence(db, now, after, LOAD_PAGE);
    for (const d of page) index.applyStored(d, now);
    if (page.length < LOAD_PAGE) break;
    const last = page[page.length - 1]!;
    after = { seq: Number(last.seq), id: Number(last.id) };
  }
  return index;
}
