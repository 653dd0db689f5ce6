import type { Allowlist, AllowlistItem, Subscriber } from '../domain/allowlist.js';
import { goDateTime, isoMicros } from '../go-format.js';

/** Domain → wire for allowlists: the admin API's console shapes (Service API), then the LAPI's upstream shapes. */

export function adminList(l: Allowlist, organizationId: string, totalItems: number, subscribers?: readonly Subscriber[]) {
  return {
    id: l.id,
    organization_id: organizationId,
    name: l.name,
    description: l.description,
    created_at: isoMicros(l.createdAt),
    updated_at: l.updatedAt === null ? null : isoMicros(l.updatedAt),
    from_cti_query: null,
    since: null,
    total_items: totalItems,
    ...(subscribers ? { subscribers: subscribers.map(adminSubscriber) } : {}),
  };
}

export function adminItem(i: AllowlistItem) {
  return {
    id: i.id,
    allowlist_id: i.allowlistId,
    description: i.description,
    scope: i.scope,
    value: i.value,
    created_at: isoMicros(i.createdAt),
    updated_at: i.updatedAt === null ? null : isoMicros(i.updatedAt),
    created_by: i.createdBy,
    updated_by: i.updatedBy,
    expiration: i.expiresAt === null ? null : isoMicros(i.expiresAt),
  };
}

export function adminSubscriber(s: Subscriber) {
  return { id: s.entityId, entity_type: s.entityType };
}

/** Upstream serialises "never expires" as Go's zero time. */
const ZERO_TIME = '0001-01-01T00:00:00.000Z';

/** `GetAllowlistResponse` (keys in the order Go writes them; empty description and items omitted). */
export function lapiAllowlist(l: Allowlist, items: readonly AllowlistItem[] | null) {
  return {
    allowlist_id: l.id,
    created_at: goDateTime(l.createdAt),
    ...(l.description ? { description: l.description } : {}),
    ...(items ? { items: items.map(lapiItem) } : {}),
    name: l.name,
    updated_at: goDateTime(l.updatedAt ?? l.createdAt),
  };
}

function lapiItem(i: AllowlistItem) {
  return {
    created_at: goDateTime(i.createdAt),
    ...(i.description ? { description: i.description } : {}),
    expiration: i.expiresAt === null ? ZERO_TIME : goDateTime(i.expiresAt),
    value: i.value,
  };
}
