import { type TSchema, Type } from '@sinclair/typebox';
import {
  AllowlistItemSchema,
  AllowlistSubscriberSchema,
  AllowlistWithoutSubscribersSchema,
  AllowlistWithSubscribersSchema,
} from '../allowlist-wire.js';
import type { RouteDoc } from '../endpoint.js';
import { BooleanQuery, closed, PageOf, PageQuery, refusals } from './admin-common.js';
import { SUBSCRIBER_TYPES } from '../../domain/allowlist.js';

/**
 * The admin API's allowlist bodies and the OpenAPI doc of each route (the console's Service API names and
 * shapes). Bodies are closed (additionalProperties: false): the Service API names every key a client sends,
 * and a key it does not name is a 400 naming it rather than something a store could mistake for a column.
 */

const Name = Type.String({ minLength: 1, maxLength: 200 });
/** Descriptions are free text; the bound keeps a row far below MySQL's 64 KiB TEXT. */
const Description = Type.String({ maxLength: 4096 });
/** Item values are IPs or CIDRs: far shorter than the 255 of their key column. */
const Value = Type.String({ maxLength: 100, description: 'An IPv4 or IPv6 address, or a CIDR range' });
const Expiration = Type.Optional(
  Type.Union([Type.String({ maxLength: 64 }), Type.Null()], {
    description: 'When the items stop applying: an ISO 8601 time (UTC when it names no zone), or null: never',
  }),
);

export const CreateList = Type.Object({ name: Name, description: Type.Optional(Description) }, closed);
export const PatchList = Type.Object({ name: Type.Optional(Name), description: Type.Optional(Description) }, closed);
export const CreateItems = Type.Object(
  { items: Type.Array(Value, { minItems: 1, maxItems: 10_000 }), description: Type.Optional(Description), expiration: Expiration },
  closed,
);
export const PatchItem = Type.Object({ description: Type.Optional(Description), expiration: Expiration }, closed);
export const Subscribe = Type.Object(
  {
    ids: Type.Array(Type.String({ maxLength: 255 }), { minItems: 1, maxItems: 1000 }),
    entity_type: Type.String({ maxLength: 64, description: `One of ${SUBSCRIBER_TYPES.join(', ')}` }),
  },
  closed,
);

export const SubscribeResult = Type.Object(
  {
    updated: Type.Array(Type.String(), { description: 'The ids now subscribed' }),
    errors: Type.Array(Type.Record(Type.String(), Type.String()), { description: 'One `{id: reason}` per id refused' }),
  },
  closed,
);

export const ItemPage = PageOf(AllowlistItemSchema, 'A page of allowlist items');
export const SubscriberPage = PageOf(AllowlistSubscriberSchema, 'A page of allowlist subscribers');

const json = (schema: TSchema) => ({ schema, required: true });
const BAD = 'The body, a query parameter or a value does not parse';
const NO_LIST = 'No allowlist has this id';

export const allowlistDocs = {
  create: {
    summary: 'Create Allowlist',
    body: json(CreateList),
    responses: {
      201: { description: 'The new list', schema: AllowlistWithoutSubscribersSchema },
      ...refusals({ 400: BAD, 409: 'A list of that name exists' }),
    },
  },
  list: {
    summary: 'List Allowlists',
    query: Type.Object(PageQuery),
    responses: {
      200: { description: 'A page of lists, oldest first', schema: PageOf(AllowlistWithSubscribersSchema, 'A page of allowlists') },
      ...refusals({ 400: BAD }),
    },
  },
  get: {
    summary: 'Get Allowlist',
    responses: {
      200: { description: 'The list, with its subscribers', schema: AllowlistWithSubscribersSchema },
      ...refusals({ 404: NO_LIST }),
    },
  },
  update: {
    summary: 'Update Allowlist',
    body: json(PatchList),
    responses: {
      200: { description: 'The list as changed', schema: AllowlistWithoutSubscribersSchema },
      ...refusals({ 400: BAD, 404: NO_LIST, 409: 'Another list has that name' }),
    },
  },
  delete: {
    summary: 'Delete Allowlist',
    query: Type.Object({ force: BooleanQuery('Delete the list even if it has subscribers') }),
    responses: {
      204: { description: 'Deleted' },
      ...refusals({ 400: BAD, 404: NO_LIST, 409: 'The list has subscribers, and force is not true' }),
    },
  },
  addItems: {
    summary: 'Create Allowlist Items',
    description:
      'Values already in the list are left as they are. When the organization subscribes to the list, the active decisions the new items cover end.',
    body: json(CreateItems),
    responses: {
      201: { description: 'Added (an empty body)' },
      ...refusals({ 400: BAD, 404: NO_LIST }),
    },
  },
  items: {
    summary: 'Get Allowlist Items',
    query: Type.Object(PageQuery),
    responses: {
      200: { description: 'A page of live items, oldest first', schema: ItemPage },
      ...refusals({ 400: BAD, 404: NO_LIST }),
    },
  },
  item: {
    summary: 'Get Allowlist Item',
    responses: {
      200: { description: 'The item', schema: AllowlistItemSchema },
      ...refusals({ 404: 'No allowlist has this id, or no live item of it this id' }),
    },
  },
  updateItem: {
    summary: 'Update Allowlist Item',
    body: json(PatchItem),
    responses: {
      200: { description: 'The item as changed', schema: AllowlistItemSchema },
      ...refusals({ 400: BAD, 404: 'No allowlist has this id, or no live item of it this id' }),
    },
  },
  deleteItem: {
    summary: 'Delete Allowlist Item',
    responses: {
      204: { description: 'Deleted' },
      ...refusals({ 404: 'No allowlist has this id, or no item of it this id' }),
    },
  },
  subscribers: {
    summary: 'Get Allowlist Subscribers',
    query: Type.Object(PageQuery),
    responses: {
      200: { description: 'A page of subscriptions', schema: SubscriberPage },
      ...refusals({ 400: BAD, 404: NO_LIST }),
    },
  },
  subscribe: {
    summary: 'Subscribe Allowlist',
    description: 'Ids that cannot be subscribed (unknown entities, another organization) come back in errors; the others are subscribed.',
    body: json(Subscribe),
    responses: {
      200: { description: 'What was subscribed, and what was not', schema: SubscribeResult },
      ...refusals({ 400: BAD, 404: NO_LIST }),
    },
  },
  unsubscribe: {
    summary: 'Unsubscribe Allowlist',
    query: Type.Object({
      entity_type: Type.Optional(
        Type.String({ enum: [...SUBSCRIBER_TYPES], description: 'End only the subscription of this type (any type when absent)' }),
      ),
    }),
    responses: {
      204: { description: 'Unsubscribed' },
      ...refusals({ 400: BAD, 404: 'No allowlist has this id, or the entity is not subscribed to it' }),
    },
  },
} satisfies Record<string, RouteDoc>;
