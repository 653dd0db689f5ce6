import { type TSchema, Type } from '@sinclair/typebox';
import { INTEGRATION_TYPES } from '../../domain/integration.js';
import { OUTPUT_FORMATS } from '../../domain/integration-formats.js';
import { IntegrationCreatedSchema, IntegrationSchema, IntegrationUpdatedSchema } from '../blocklist-wire.js';
import type { RouteDoc } from '../endpoint.js';
import { BooleanQuery, closed, PageOf, PageQuery, refusals } from './admin-common.js';

/**
 * The admin API's integration bodies and the OpenAPI doc of each route (the console's Service API names and
 * shapes). Bodies are closed, as the Service API's request models: a stray key is a 400 naming it.
 */

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Description = Type.String({ minLength: 1, maxLength: 4096 });
const EntityType = Type.String({ maxLength: 64, description: `One of ${INTEGRATION_TYPES.join(', ')}` });
const OutputFormat = Type.String({
  maxLength: 64,
  description: `One of ${OUTPUT_FORMATS.join(', ')}; remediation_component for a remediation_component_integration, and only for it`,
});
/** The most entries one pull serves; null: no limit. */
const PullLimit = Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000_000 }), Type.Null()], {
  description: 'The most entries one pull serves; null: no limit',
});
/** Tags (a Lapis extension on create, as the console sets them): what tag subscriptions reach. */
const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 255 }), {
  maxItems: 100,
  description: 'Lapis: the tags blocklist and allowlist subscriptions of type tag reach it by',
});
export const Create = Type.Object(
  {
    name: Name,
    description: Type.Optional(Description),
    entity_type: EntityType,
    output_format: OutputFormat,
    pull_limit: Type.Optional(PullLimit),
    enable_ip_aggregation: Type.Optional(Type.Boolean({ description: 'Serve adjacent values merged into ranges (false by default)' })),
    tags: Type.Optional(Tags),
  },
  closed,
);
export const Patch = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    output_format: Type.Optional(OutputFormat),
    regenerate_credentials: Type.Optional(Type.Boolean({ description: 'Mint new credentials (the old ones stop working at once)' })),
    pull_limit: Type.Optional(PullLimit),
    enable_ip_aggregation: Type.Optional(Type.Boolean()),
    tags: Type.Optional(Tags),
  },
  closed,
);

export const IntegrationPage = PageOf(IntegrationSchema, 'A page of integrations');

const json = (schema: TSchema) => ({ schema, required: true });
const BAD = 'The body, a query parameter or a value does not parse';
const NOT_FOUND = 'No integration has this id';

export const integrationDocs = {
  create: {
    summary: 'Create Integration',
    description: 'Its credentials are in this answer only: the instance keeps their hash.',
    body: json(Create),
    responses: {
      201: { description: 'The new integration, with its credentials', schema: IntegrationCreatedSchema },
      ...refusals({ 400: BAD, 409: 'An integration of that name exists' }),
    },
  },
  list: {
    summary: 'Get Integrations',
    query: Type.Object({
      tag: Type.Optional(
        Type.Union([Type.String(), Type.Array(Type.String())], {
          description: 'Only integrations with any of these tags: repeated (tag=a&tag=b) or comma-separated',
        }),
      ),
      ...PageQuery,
    }),
    responses: {
      200: { description: 'A page of integrations, without credentials', schema: IntegrationPage },
      ...refusals({ 400: BAD }),
    },
  },
  get: {
    summary: 'Get Integration',
    responses: {
      200: { description: 'The integration, without credentials', schema: IntegrationSchema },
      ...refusals({ 404: NOT_FOUND }),
    },
  },
  update: {
    summary: 'Update Integration',
    body: json(Patch),
    responses: {
      200: {
        description: 'The integration as changed; with credentials only when they were regenerated',
        schema: IntegrationUpdatedSchema,
      },
      ...refusals({ 400: BAD, 404: NOT_FOUND, 409: 'Another integration has that name' }),
    },
  },
  delete: {
    summary: 'Delete Integration',
    query: Type.Object({
      force: BooleanQuery('Delete it even while lists are subscribed to it (those subscriptions end)'),
    }),
    responses: {
      204: { description: 'Deleted' },
      ...refusals({ 400: BAD, 404: NOT_FOUND, 409: 'Lists are subscribed to it, and force is not true' }),
    },
  },
} satisfies Record<string, RouteDoc>;
