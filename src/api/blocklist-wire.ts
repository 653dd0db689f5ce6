import { BLOCKLIST_SUBSCRIBER_TYPES, type Blocklist, type BlocklistSubscriber } from '../domain/blocklist.js';
import { formatGoDuration } from '../domain/duration.js';
import type { Credentials, Integration } from '../domain/integration.js';
import { isoMicros } from '../go-format.js';

/**
 * Domain → wire for blocklists and integrations: the console's Service API shapes (`PublicBlocklistResponse`,
 * `IntegrationGetResponse`), keys in the order of its quickstart samples. What has no local meaning (CTI
 * statistics, sharing, pricing, catalog categories) keeps a fixed value; `stats.count` is real.
 */

const nullableTime = (ms: number | null) => (ms === null ? null : isoMicros(ms));

/** `BlocklistStats`: every CTI figure zero, `count` the list's live entries. */
function blocklistStats(count: number) {
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

/**
 * `PublicBlocklistResponse`. Lapis extensions: on a list that follows a URL, `url`, `refresh_interval` (a Go
 * duration) and `feed_status`; on a list whose content the API cannot write (`lapi`, feeds), `read_only: true`.
 */
export function publicBlocklist(l: Blocklist, organizationId: string, count: number, subscribers: readonly BlocklistSubscriber[]) {
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
export function blocklistSubscriber(s: BlocklistSubscriber) {
  return { id: s.entityId, entity_type: s.entityType, remediation: s.remediation };
}

/** A list an integration reads, with the remediation of the subscription that brings it (`blocklists[]`). */
export interface IntegrationList {
  id: string;
  name: string;
  label: string;
  remediation: string | null;
}

/**
 * `IntegrationGetResponse`, plus `credentials` when given (create, and PATCH with `regenerate_credentials`):
 * they are shown once, never on a read.
 */
export function integrationResponse(
  i: Integration,
  o: { organizationId: string; lists: readonly IntegrationList[]; endpoint: string; count: number; credentials?: Credentials | null },
) {
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
