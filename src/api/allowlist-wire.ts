import { type Static, Type } from '@sinclair/typebox';
import { type Allowlist, type AllowlistItem, SUBSCRIBER_TYPES, type Subscriber } from '../domain/allowlist.js';
import { goDateTime, isoMicros } from '../go-format.js';
import { closed, DateTime, Nullable } from './schemas/admin-common.js';

/**
 * Domain → wire for allowlists: the admin API's console shapes (Service API), each beside the schema its
 * OpenAPI document gives it (the builder returns that schema's type, so tsc sees a drift), then the LAPI's upstream shapes.
 */

/** One subscription of a list (`AllowlistSubscriberEntity`). */
export const AllowlistSubscriberSchema = Type.Object(
  {
    id: Type.String({ description: 'The subscribed entity: the organization, a machine (engine), a bouncer or integration, or a tag' }),
    entity_type: Type.Union(SUBSCRIBER_TYPES.map((t) => Type.Literal(t))),
  },
  closed,
);

const listProperties = {
  id: Type.String(),
  organization_id: Type.String({ description: "This instance's organization (api.admin.organization_id)" }),
  name: Type.String(),
  description: Type.String(),
  created_at: DateTime(),
  updated_at: Nullable(DateTime(), 'null until the list is first changed'),
  from_cti_query: Type.Null({ description: 'Always null: no CTI here' }),
  since: Type.Null({ description: 'Always null: no CTI here' }),
  total_items: Type.Integer({ minimum: 0, description: 'Live (unexpired) items' }),
};

/** `AllowlistGetResponse`: `subscribers` only where the route reads them (get, list). */
export const AllowlistSchema = Type.Object(
  { ...listProperties, subscribers: Type.Optional(Type.Array(AllowlistSubscriberSchema)) },
  closed,
);
/** As get and list answer it: with its subscribers. */
export const AllowlistWithSubscribersSchema = Type.Object(
  { ...listProperties, subscribers: Type.Array(AllowlistSubscriberSchema) },
  closed,
);
/** As create and update answer it: without. */
export const AllowlistWithoutSubscribersSchema = Type.Object(listProperties, closed);

export function adminList(
  l: Allowlist,
  organizationId: string,
  totalItems: number,
  subscribers?: readonly Subscriber[],
): Static<typeof AllowlistSchema> {
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

const ActorSchema = Type.Object(
  {
    source_type: Type.Union([Type.Literal('apikey'), Type.Literal('user')], { description: 'An admin API key, or a CLI user' }),
    identifier: Type.String({ description: "The admin key's name, or the CLI user's" }),
  },
  closed,
);

/** `AllowlistGetItemsResponse`. */
export const AllowlistItemSchema = Type.Object(
  {
    id: Type.String(),
    allowlist_id: Type.String(),
    description: Type.String(),
    scope: Type.Union([Type.Literal('ip'), Type.Literal('range')]),
    value: Type.String({ description: 'An IP address, or a CIDR range' }),
    created_at: DateTime(),
    updated_at: Nullable(DateTime(), 'null until the item is first changed'),
    created_by: ActorSchema,
    updated_by: Nullable(ActorSchema),
    expiration: Nullable(DateTime(), 'null: never expires'),
  },
  closed,
);

export function adminItem(i: AllowlistItem): Static<typeof AllowlistItemSchema> {
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

export function adminSubscriber(s: Subscriber): Static<typeof AllowlistSubscriberSchema> {
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
