import {
  parseItemValue,
  subscribedLists,
  type Actor,
  type Allowlist,
  type Subscriber,
  type SubscriberType,
} from '../../domain/allowlist.js';
import type { IpRange } from '../../domain/ip-range.js';
import { loadAllowlistState } from '../../store/allowlist-state.js';
import { getAllowlistByName } from '../../store/allowlists.js';
import type { Db } from '../../store/db.js';
import { CliError } from '../context.js';
import { AllowlistView } from '../../engine/allowlists.js';

/** What the CLI writes in `created_by` / `updated_by`. */
export const CLI_ACTOR: Actor = { source_type: 'user', identifier: 'cli' };

/** The list of that name, or CliError `allowlist 'NAME' not found` (cscli's wording). */
export async function requireListByName(db: Db, name: string): Promise<Allowlist> {
  const list = await getAllowlistByName(db, name);
  if (!list) throw new CliError(`allowlist '${name}' not found`);
  return list;
}

/** An item value (IP or CIDR), or IpParseError (`invalid ip address 'bar'`). */
export function itemRange(value: string): IpRange {
  return parseItemValue(value).range;
}

/**
 * Loads the allowlists once and tells, for many values (an import may bring a million), why each is
 * allowlisted: the reasons (`<item> from <list>`, sorted by list name) of the live items that nest with it,
 * among the lists that apply somewhere (at least one subscriber). Empty: it is not.
 */
export async function allowlistChecker(db: Db, now = Date.now()): Promise<(range: IpRange) => string[]> {
  const state = await loadAllowlistState(db);
  const view = new AllowlistView(state, subscribedLists(state), now);
  return (range) => view.reasons(range, now);
}

const TYPE_ALIASES: Record<string, SubscriberType> = {
  org: 'org',
  engine: 'engine',
  machine: 'engine',
  remediation_component_integration: 'remediation_component_integration',
  bouncer: 'remediation_component_integration',
  tag: 'tag',
};

/** `-t/--type`: a subscriber type or one of its aliases (machine → engine, bouncer → remediation_component_integration). */
export function subscriberType(raw: string): SubscriberType {
  const t = TYPE_ALIASES[raw];
  if (!t) {
    throw new CliError(
      `invalid type '${raw}': must be one of org, engine (or machine), remediation_component_integration (or bouncer), tag`,
    );
  }
  return t;
}

/** The Subscribers column: `org, engine:web-01, tag:edge`, or `none` (the list applies nowhere). */
export function subscribersText(subs: readonly Subscriber[]): string {
  if (subs.length === 0) return 'none';
  return subs.map((s) => (s.entityType === 'org' ? 'org' : `${s.entityType}:${s.entityId}`)).join(', ');
}
