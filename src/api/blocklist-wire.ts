import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { BLOCKLIST_SUBSCRIBER_TYPES, type Blocklist, type BlocklistSubscriber } from '../domain/blocklist.js';
import { formatGoDuration } from '../domain/duration.js';
import { INTEGRATION_TYPES, type Credentials, type Integration } from '../domain/integration.js';
import { OUTPUT_FORMATS } from '../domain/integration-formats.js';
import { isoMicros } from '../go-format.js';
import { AlwaysEmpty, closed, DateTime, Nullable } from './schemas/admin-common.js';

/**
 * Domain → wire for blocklists and integrations: the console's Service API shapes (`PublicBlocklistResponse`,
 * `IntegrationGetResponse`), keys in the order of its quickstart samples. What has no local meaning (CTI
 * statistics, sharing, pricing, catalog categories) keeps a fixed value; `stats.count` is real. Each builder
 * sits beside the schema the admin API's OpenAPI document gives its object, and returns that schema's type.
 */

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
/** A CTI figure: always 0 here (no CTI). */
const Zero = Type.Literal(0, { description: 'Always 0: no CTI here' });
const NoCti = (what: string) => AlwaysEmpty(`${what}: always empty, no CTI here`);
const closedObject = <P extends Record<string, TSchema>>(properties: P) => Type.Object(properties, closed);

const BlocklistStatsSchema = closedObject({
  content_stats: closedObject({
    total_seen: Zero,
    total_fire: Zero,
    total_seen_1m: Zero,
    total_in_other_lists: Zero,
    total_false_positive: Zero,
    false_positive_removed_by_crowdsec: Zero,
    most_present_behaviors: NoCti('most_present_behaviors'),
    most_present_categories: NoCti('most_present_categories'),
    most_present_scenarios: NoCti('most_present_scenarios'),
    top_as: NoCti('top_as'),
    top_attacking_countries: NoCti('top_attacking_countries'),
    top_ips: NoCti('top_ips'),
    updated_at: Type.Null(),
  }),
  usage_stats: closedObject({
    engines_subscribed_directly: Zero,
    engines_subscribed_through_org: Zero,
    engines_subscribed_through_tag: Zero,
    total_subscribed_engines: Zero,
    total_subscribed_organizations: Zero,
    updated_at: Type.Null(),
  }),
  addition_2days: Zero,
  addition_month: Zero,
  suppression_2days: Zero,
  suppression_month: Zero,
  change_2days_percentage: Zero,
  change_month_percentage: Zero,
  count: Type.Integer({ minimum: 0, description: "The list's live entries (for `lapi`, its distinct decision values)" }),
  updated_at: Type.Null(),
});

const nullableTime = (ms: number | null) => (ms === null ? null : isoMicros(ms));

/** `BlocklistStats`: every CTI figure zero, `count` the list's live entries. */
function blocklistStats(count: number): Static<typeof BlocklistStatsSchema> {
  return {
    content_stats: {
      total_seen: 0,
      total_fire: 0,
      total_seen_1m: 0,
      total_in_other_lists: 0,
      total_false_positive: 0,
      false_positive_removed_by_crowdsec: 0,
      most_present_behaviors: [],
      most_present_categories: [],
      most_present_scenarios: [],
      top_as: [],
      top_attacking_countries: [],
      top_ips: [],
      updated_at: null,
    },
    usage_stats: {
      engines_subscribed_directly: 0,
      engines_subscribed_through_org: 0,
      engines_subscribed_through_tag: 0,
      total_subscribed_engines: 0,
      total_subscribed_organizations: 0,
      updated_at: null,
    },
    addition_2days: 0,
    addition_month: 0,
    suppression_2days: 0,
    suppression_month: 0,
    change_2days_percentage: 0,
    change_month_percentage: 0,
    count,
    updated_at: null,
  };
}

/** `subscribers` of a list: how many of each entity type, in the order of SubscriberEntityType, types without any left out. */
function subscriberCounts(subs: readonly BlocklistSubscriber[]) {
  return BLOCKLIST_SUBSCRIBER_TYPES.map((entity_type) => ({
    entity_type,
    count: subs.filter((s) => s.entityType === entity_type).length,
  })).filter((c) => c.count > 0);
}

const SubscriberTypeSchema = literals(BLOCKLIST_SUBSCRIBER_TYPES);

const FeedStatusSchema = closedObject({
  last_check: Nullable(DateTime(), 'null until the feed is first fetched'),
  last_success: Nullable(DateTime(), 'null until a fetch succeeds'),
  error: Nullable(Type.String(), 'Why the last fetch failed; null when it did not'),
  etag: Nullable(Type.String(), 'The ETag of the content held'),
});

/**
 * `PublicBlocklistResponse`. Lapis extensions: on a list that follows a URL, `url`, `refresh_interval` (a Go
 * duration) and `feed_status`; on a list whose content the API cannot write (`lapi`, feeds), `read_only: true`.
 */
export const PublicBlocklistSchema = closedObject({
  id: Type.String(),
  created_at: DateTime(),
  updated_at: DateTime(),
  name: Type.String(),
  label: Type.String(),
  description: Type.String(),
  references: Type.Array(Type.String()),
  is_private: Type.Literal(true, { description: 'Always true: every list is private to this instance' }),
  tags: Type.Array(Type.String()),
  pricing_tier: Type.Literal('free'),
  source: Type.Literal('custom'),
  stats: BlocklistStatsSchema,
  from_cti_query: Type.Null({ description: 'Always null: no CTI here' }),
  since: Type.Null({ description: 'Always null: no CTI here' }),
  shared_with: AlwaysEmpty('Always empty: lists are not shared'),
  organization_id: Type.String({ description: "This instance's organization (api.admin.organization_id)" }),
  subscribers: Type.Array(closedObject({ entity_type: SubscriberTypeSchema, count: Type.Integer({ minimum: 1 }) }), {
    description: 'How many subscriptions of each entity type (types without any left out)',
  }),
  categories: AlwaysEmpty('Always empty: no catalog here'),
  url: Type.Optional(Type.String({ description: 'Lapis: the URL a feed list follows' })),
  refresh_interval: Type.Optional(Type.String({ description: 'Lapis: how often a feed list is fetched, a Go duration (`1h0m0s`)' })),
  feed_status: Type.Optional(FeedStatusSchema),
  read_only: Type.Optional(Type.Literal(true, { description: 'Lapis: the content is not written through the API (`lapi`, feeds)' })),
});

export function publicBlocklist(
  l: Blocklist,
  organizationId: string,
  count: number,
  subscribers: readonly BlocklistSubscriber[],
): Static<typeof PublicBlocklistSchema> {
  return {
    id: l.id,
    created_at: isoMicros(l.createdAt),
    updated_at: isoMicros(l.updatedAt),
    name: l.name,
    label: l.label,
    description: l.description,
    references: l.references,
    is_private: true,
    tags: l.tags,
    pricing_tier: 'free',
    source: 'custom',
    stats: blocklistStats(count),
    from_cti_query: null,
    since: null,
    shared_with: [],
    organization_id: organizationId,
    subscribers: subscriberCounts(subscribers),
    categories: [],
    ...(l.feed
      ? {
          url: l.feed.url,
          refresh_interval: formatGoDuration(l.feed.refreshMs),
          feed_status: {
            last_check: nullableTime(l.feed.checkedAt),
            last_success: nullableTime(l.feed.okAt),
            error: l.feed.error,
            etag: l.feed.etag,
          },
        }
      : {}),
    ...(l.kind === 'custom' ? {} : { read_only: true }),
  };
}

/** One row of `GET /blocklists/{id}/subscribers` (`BlocklistSubscriberEntity`). */
export const BlocklistSubscriberSchema = closedObject({
  id: Type.String({ description: 'The subscribed entity: the organization, a machine (engine), a bouncer or integration, or a tag' }),
  entity_type: SubscriberTypeSchema,
  remediation: Type.String({ description: 'The decision type its entries are served as (`ban`…)' }),
});

export function blocklistSubscriber(s: BlocklistSubscriber): Static<typeof BlocklistSubscriberSchema> {
  return { id: s.entityId, entity_type: s.entityType, remediation: s.remediation };
}

/** A list an integration reads, with the remediation of the subscription that brings it (`blocklists[]`). */
const IntegrationListSchema = closedObject({
  id: Type.String(),
  name: Type.String(),
  label: Type.String(),
  remediation: Nullable(Type.String(), 'The decision type of the most specific subscription that brings the list'),
});
export type IntegrationList = Static<typeof IntegrationListSchema>;

const CredentialsSchema = Type.Union(
  [closedObject({ username: Type.String(), password: Type.String() }), closedObject({ api_key: Type.String() })],
  { description: 'Shown once: HTTP Basic for a firewall_integration, an API key for a remediation_component_integration' },
);

const integrationProperties = {
  id: Type.String(),
  name: Type.String(),
  organization_id: Type.String({ description: "This instance's organization (api.admin.organization_id)" }),
  description: Type.String(),
  created_at: DateTime(),
  updated_at: DateTime(),
  entity_type: literals(INTEGRATION_TYPES),
  output_format: literals(OUTPUT_FORMATS),
  last_pull: Nullable(DateTime(), 'null until the integration first reads its content'),
  blocklists: Type.Array(IntegrationListSchema, { description: 'The lists it reads, in subscription order' }),
  cves: AlwaysEmpty('Always empty: no tracker API here'),
  fingerprints: AlwaysEmpty('Always empty: no tracker API here'),
  vendors: AlwaysEmpty('Always empty: no tracker API here'),
  endpoint: Type.String({ description: 'Where it reads from, on the scheme and host of the request: `…/content` for a firewall' }),
  stats: closedObject({ count: Type.Integer({ minimum: 0, description: 'The entries its content serves' }) }),
  tags: Type.Array(Type.String()),
  pull_limit: Nullable(Type.Integer({ minimum: 1 }), 'The most entries one pull serves; null: no limit'),
  enable_ip_aggregation: Type.Boolean(),
};

/** `IntegrationGetResponse`: as reads answer it, without credentials. */
export const IntegrationSchema = closedObject(integrationProperties);
/** `IntegrationCreateResponse`: with the new credentials. */
export const IntegrationCreatedSchema = closedObject({ ...integrationProperties, credentials: CredentialsSchema });
/** `IntegrationUpdateResponse`: with credentials when the PATCH regenerated them. */
export const IntegrationUpdatedSchema = closedObject({ ...integrationProperties, credentials: Type.Optional(CredentialsSchema) });

/**
 * `IntegrationGetResponse`, plus `credentials` when given (create, and PATCH with `regenerate_credentials`):
 * they are shown once, never on a read.
 */
export function integrationResponse(
  i: Integration,
  o: { organizationId: string; lists: readonly IntegrationList[]; endpoint: string; count: number; credentials?: Credentials | null },
): Static<typeof IntegrationUpdatedSchema> {
  return {
    id: i.id,
    name: i.name,
    organization_id: o.organizationId,
    description: i.description,
    created_at: isoMicros(i.createdAt),
    updated_at: isoMicros(i.updatedAt),
    entity_type: i.entityType,
    output_format: i.outputFormat,
    last_pull: nullableTime(i.lastPull),
    blocklists: o.lists.map((l) => ({ id: l.id, name: l.name, label: l.label, remediation: l.remediation })),
    cves: [],
    fingerprints: [],
    vendors: [],
    endpoint: o.endpoint,
    stats: { count: o.count },
    tags: i.tags,
    pull_limit: i.pullLimit,
    enable_ip_aggregation: i.enableIpAggregation,
    ...(o.credentials ? { credentials: o.credentials } : {}),
  };
}
