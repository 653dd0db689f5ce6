import { type TSchema, Type } from '@sinclair/typebox';
import { BLOCKLIST_SUBSCRIBER_TYPES, MAX_IPS_PER_REQUEST } from '../../domain/blocklist.js';
import { BlocklistSubscriberSchema, PublicBlocklistSchema } from '../blocklist-wire.js';
import type { RouteDoc } from '../endpoint.js';
import { BooleanQuery, closed, EmptyObject, PageOf, PageQuery, refusals } from './admin-common.js';

/**
 * The admin API's blocklist bodies and the OpenAPI doc of each route (the console's Service API names and
 * shapes). Bodies are closed, as the Service API's request models (`additionalProperties: false`): a stray
 * key is a 400 naming it.
 */

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Label = Type.String({ minLength: 1, maxLength: 200 });
/** The Service API requires a description on create (min 1); the bound keeps a row far below MySQL's 64 KiB TEXT. */
const Description = Type.String({ minLength: 1, maxLength: 4096 });
const Strings = Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 100 });
const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'Lapis: an http(s) URL the list follows (one value a line)' });
const Interval = Type.String({
  minLength: 1,
  maxLength: 32,
  description: 'Lapis: how often the URL is fetched, a Go duration of at least 1m (1h by default)',
});
const Ignored = Type.Optional(
  Type.Union([Type.String({ maxLength: 4096 }), Type.Null()], { description: 'Accepted and ignored: no CTI here' }),
);
export const CreateList = Type.Object(
  {
    name: Name,
    description: Description,
    label: Type.Optional(Label),
    references: Type.Optional(Strings),
    tags: Type.Optional(Strings),
    url: Type.Optional(Url),
    refresh_interval: Type.Optional(Interval),
  },
  closed,
);
export const PatchList = Type.Object(
  {
    label: Type.Optional(Label),
    description: Type.Optional(Description),
    references: Type.Optional(Strings),
    tags: Type.Optional(Strings),
    from_cti_query: Ignored,
    since: Ignored,
    url: Type.Optional(Url),
    refresh_interval: Type.Optional(Interval),
  },
  closed,
);
/** Values: IPs or CIDRs, far shorter than their key column. Their number is checked against the 412 limit, not here. */
const Ips = Type.Array(Type.String({ maxLength: 100, description: 'An IPv4 or IPv6 address, or a CIDR range' }));
const Expiration = Type.Optional(
  Type.Union([Type.String({ maxLength: 64 }), Type.Null()], {
    description: 'When the entries stop applying: an ISO 8601 time (UTC when it names no zone), or null: never',
  }),
);
export const AddIps = Type.Object({ ips: Ips, expiration: Expiration }, closed);
export const DeleteIps = Type.Object({ ips: Ips }, closed);
export const Subscribe = Type.Object(
  {
    entity_type: Type.String({ maxLength: 64, description: `One of ${BLOCKLIST_SUBSCRIBER_TYPES.join(', ')}` }),
    ids: Type.Optional(
      Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 1000 }), Type.Null()], {
        description: 'The entities to subscribe; none for org',
      }),
    ),
    remediation: Type.Optional(
      Type.Union([Type.String({ maxLength: 64 }), Type.Null()], {
        description: 'The decision type its entries are served as (ban by default)',
      }),
    ),
  },
  closed,
);

/** The upload's form: one file, one value a line (`#` and `;` start comments). */
const UploadForm = Type.Object(
  { file: Type.String({ contentMediaType: 'text/plain', description: 'The new content: one IP or CIDR range a line' }) },
  { description: 'multipart/form-data: other parts are ignored' },
);

export const BlocklistPage = PageOf(PublicBlocklistSchema, 'A page of blocklists');
export const SubscriberPage = PageOf(BlocklistSubscriberSchema, 'A page of blocklist subscribers');
export const SubscribeResult = Type.Object(
  {
    updated: Type.Array(Type.String(), { description: 'The entities now subscribed (for org, the organization)' }),
    errors: Type.Array(Type.Record(Type.String(), Type.String()), { description: 'One `{id: reason}` per id refused' }),
  },
  closed,
);

const json = (schema: TSchema) => ({ schema, required: true });
const BAD = 'The body, a query parameter or a value does not parse';
const NO_LIST = 'No blocklist has this id';
const READ_ONLY = 'The list is read-only: the built-in lapi list, or a list that follows a URL';
const TOO_MANY = `More than ${MAX_IPS_PER_REQUEST} values in one request`;

export const blocklistDocs = {
  create: {
    summary: 'Create Blocklist',
    body: json(CreateList),
    responses: {
      201: { description: 'The new list', schema: PublicBlocklistSchema },
      ...refusals({ 400: BAD, 409: 'A list of that name exists' }),
    },
  },
  list: {
    summary: 'Get Blocklists',
    query: Type.Object({
      ...PageQuery,
      subscribed_only: BooleanQuery('Only lists something subscribes to'),
      exclude_subscribed: BooleanQuery('Only lists nothing subscribes to'),
    }),
    responses: {
      200: { description: 'A page of lists', schema: BlocklistPage },
      ...refusals({ 400: BAD }),
    },
  },
  get: {
    summary: 'Get Blocklist',
    description: 'The list, without its content (see download).',
    responses: {
      200: { description: 'The list', schema: PublicBlocklistSchema },
      ...refusals({ 404: NO_LIST }),
    },
  },
  update: {
    summary: 'Update Blocklist',
    description: "A list's name and content do not change here; a URL and its interval only on a list that follows one.",
    body: json(PatchList),
    responses: {
      200: { description: 'The list as changed', schema: PublicBlocklistSchema },
      ...refusals({ 400: BAD, 403: 'The built-in lapi list is read-only', 404: NO_LIST }),
    },
  },
  delete: {
    summary: 'Delete Blocklist',
    description: 'Its decisions end with it.',
    query: Type.Object({ force: BooleanQuery('Delete the list even if it has subscribers (they are unsubscribed)') }),
    responses: {
      204: { description: 'Deleted' },
      ...refusals({
        400: BAD,
        403: 'The built-in lapi list cannot be deleted',
        404: NO_LIST,
        409: 'The list has subscribers, and force is not true',
      }),
    },
  },
  addIps: {
    summary: 'Add Ips To Blocklist',
    description: 'A value already in the list takes the new expiration.',
    body: json(AddIps),
    responses: {
      201: { description: 'Added (an empty body)' },
      ...refusals({ 400: BAD, 403: READ_ONLY, 404: NO_LIST, 412: TOO_MANY }),
    },
  },
  overwrite: {
    summary: 'Bulk Overwrite Blocklist Ips',
    description: "The values given become the list's whole content.",
    body: json(AddIps),
    responses: {
      202: { description: 'Replaced (an empty body)' },
      ...refusals({ 400: BAD, 403: READ_ONLY, 404: NO_LIST, 412: TOO_MANY }),
    },
  },
  deleteIps: {
    summary: 'Delete Ips From Blocklist',
    body: json(DeleteIps),
    responses: {
      204: { description: 'Deleted' },
      ...refusals({ 400: BAD, 403: READ_ONLY, 404: NO_LIST, 412: TOO_MANY }),
    },
  },
  upload: {
    summary: 'Upload Blocklist Content',
    description: "The file's values become the list's whole content.",
    query: Type.Object({
      expiration: Type.Optional(Type.String({ description: 'When the entries stop applying: an ISO 8601 time; never when absent' })),
      ignore_invalid_ips: BooleanQuery('Skip lines that are not an IP or a CIDR range, instead of refusing the file'),
    }),
    body: { schema: UploadForm, contentType: 'multipart/form-data', required: true },
    responses: {
      201: { description: 'Replaced', schema: EmptyObject },
      ...refusals({
        400: 'Not a multipart/form-data body with a file part, a line that is not an IP or a CIDR range, or a bad query parameter',
        403: READ_ONLY,
        404: NO_LIST,
        412: TOO_MANY,
        413: 'The file is larger than 8 MiB',
      }),
    },
  },
  subscribers: {
    summary: 'Get Blocklist Subscribers',
    query: Type.Object(PageQuery),
    responses: {
      200: { description: 'A page of subscriptions', schema: SubscriberPage },
      ...refusals({ 400: BAD, 404: NO_LIST }),
    },
  },
  subscribe: {
    summary: 'Subscribe Blocklist',
    description:
      'Ids that cannot be subscribed (unknown entities) come back in errors; the others are subscribed, and the decisions the list is served as start.',
    body: json(Subscribe),
    responses: {
      200: { description: 'What was subscribed, and what was not', schema: SubscribeResult },
      ...refusals({ 400: BAD, 404: NO_LIST }),
    },
  },
  unsubscribe: {
    summary: 'Unsubscribe Blocklist',
    query: Type.Object({
      entity_type: Type.Optional(
        Type.String({
          enum: [...BLOCKLIST_SUBSCRIBER_TYPES],
          description: 'End only the subscription of this type (any type when absent)',
        }),
      ),
    }),
    responses: {
      200: { description: 'Unsubscribed', schema: EmptyObject },
      ...refusals({ 400: BAD, 404: 'No blocklist has this id, or the entity is not subscribed to it' }),
    },
  },
} satisfies Record<string, RouteDoc>;
