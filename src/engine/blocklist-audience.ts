import { tagsOf, type AllowlistState, type Entity } from '../domain/allowlist.js';
import {
  inLapiList,
  LAPI_LIST_ID,
  LISTS_ORIGIN,
  listScenario,
  pairKey,
  servedAsDecisions,
  type BlocklistSubscription,
  type LapiListFilter,
} from '../domain/blocklist.js';
import { baseName } from '../domain/bouncer-name.js';
import type { DecisionAttributes } from '../domain/decision-filter.js';

/** Which decisions of origin `lists` one bouncer or integration is served; undefined: every decision. */
export type AudienceTest = (d: DecisionAttributes) => boolean;

/** Whether a blocklist subscription makes its list's decisions reach an entity. */
export function subscriptionReaches(s: BlocklistSubscription, e: Entity, tags: ReadonlySet<string>): boolean {
  if (!servedAsDecisions(s.entityType)) return false;
  switch (s.entityType) {
    case 'org':
      return e.kind !== 'machine';
    case 'engine':
      // an engine's list is served by its LAPI to every bouncer of it: here, every bouncer of this instance
      return e.kind === 'bouncer';
    case 'tag':
      return e.kind !== 'machine' && tags.has(s.entityId);
    case 'remediation_component_integration':
      if (e.kind === 'integration') return s.entityId === e.name;
      return e.kind === 'bouncer' && (s.entityId === e.name || s.entityId === baseName(e.name));
    default:
      return false;
  }
}

/**
 * Who is served each (list, decision type) pair, from the subscriptions. A pair is "served" when some
 * subscription reaching bouncers names it: its decisions exist in the store. A bouncer is hidden the served
 * pairs that reach it through none of its subscriptions; pairs no longer served pass, so that their ended
 * decisions go out in `deleted` to whoever held them.
 */
export class BlocklistAudience {
  /** pair key → the subscriptions that make it. */
  readonly pairs = new Map<string, BlocklistSubscription[]>();
  private readonly lapiSubscribers: BlocklistSubscription[] = [];

  constructor(
    private readonly state: AllowlistState,
    private readonly lapiFilter: LapiListFilter,
  ) {
    for (const s of state.blocklistSubscriptions) {
      if (s.blocklistId === LAPI_LIST_ID || s.listKind === 'lapi') {
        this.lapiSubscribers.push(s);
        continue;
      }
      if (!servedAsDecisions(s.entityType)) continue;
      const k = pairKey(listScenario(s.listName), s.remediation);
      const list = this.pairs.get(k);
      if (list) list.push(s);
      else this.pairs.set(k, [s]);
    }
  }

  /** The pairs served to an entity. */
  reaching(e: Entity): Set<string> {
    const tags = tagsOf(this.state, e);
    const out = new Set<string>();
    for (const [k, subs] of this.pairs) if (subs.some((s) => subscriptionReaches(s, e, tags))) out.add(k);
    return out;
  }

  /** Whether an integration subscribes to the built-in `lapi` list. */
  private takesLapi(e: Entity): boolean {
    const tags = tagsOf(this.state, e);
    return this.lapiSubscribers.some((s) => subscriptionReaches(s, e, tags));
  }

  /**
   * The test for one entity. A bouncer sees every decision but the blocklist pairs not served to it. A pair
   * this node does not know (its subscription not loaded yet: another node's write seen first through the
   * decisions) is hidden until it is; a pair no longer served (`retired`: its last subscription ended) passes
   * for whoever it reached, so that its ended decisions go out in `deleted` to them. A remediation-component
   * integration sees only its lists' decisions, and the instance's own when it subscribes to `lapi`.
   */
  testFor(e: Entity, retired: ReadonlyMap<string, BlocklistAudience>): AudienceTest {
    const mine = this.reaching(e);
    const served = this.pairs;
    const pass = (d: DecisionAttributes) => {
      const k = pairKey(d.scenario, d.type);
      if (served.has(k)) return mine.has(k);
      return retired.get(k)?.reaches(k, e) ?? false;
    };
    if (e.kind === 'integration') {
      const lapi = this.takesLapi(e);
      const filter = this.lapiFilter;
      return (d) => (d.origin === LISTS_ORIGIN ? d.scenario.startsWith('lists:') && pass(d) : lapi && inLapiList(filter, d));
    }
    return (d) => d.origin !== LISTS_ORIGIN || !d.scenario.startsWith('lists:') || pass(d);
  }

  /** What decides who a pair reaches: its subscriptions, and the members of the tags among them. */
  signature(k: string): string {
    const subs = this.pairs.get(k);
    if (!subs) return '';
    const parts = subs.map((s) => {
      if (s.entityType !== 'tag') return `${s.entityType}:${s.entityId}`;
      const who = this.state.tags.filter((t) => t.tag === s.entityId).map((t) => `${t.kind}:${t.name}`);
      return `tag:${s.entityId}=${who.sort().join(',')}`;
    });
    return parts.sort().join('|');
  }

  /** A signature of who the `lapi` list reaches (integrations subscribing to it), for the same purpose. */
  lapiSignature(): string {
    return this.lapiSubscribers
      .map((s) => `${s.entityType}:${s.entityId}`)
      .sort()
      .join('|');
  }

  /** Whether a pair reached an entity under this audience. */
  reaches(k: string, e: Entity): boolean {
    const subs = this.pairs.get(k);
    if (!subs) return false;
    const tags = tagsOf(this.state, e);
    return subs.some((s) => subscriptionReaches(s, e, tags));
  }
}
