import type { Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { INTEGRATION_TYPES, type Credentials, type Integration, type IntegrationType } from '../../domain/integration.js';
import { isOutputFormat, OUTPUT_FORMATS, type OutputFormat } from '../../domain/integration-formats.js';
import { BadRequestError } from '../../errors.js';
import { allBlocklistSubscriptions } from '../../store/blocklists.js';
import { organizationId } from '../../store/instance.js';
import { countIntegrations, pageIntegrations, requireIntegration } from '../../store/integrations.js';
import { createIntegration, deleteIntegration, updateIntegration } from '../../usecases/integrations.js';
import { integrationResponse } from '../blocklist-wire.js';
import type { AppDeps } from '../deps.js';
import { endpoint, Params, QueryMap } from '../endpoint.js';
import { booleanQuery, pageOf, parsePage } from '../pagination.js';
import { Create, integrationDocs as docs, type IntegrationPage, Patch } from '../schemas/admin-integrations.js';
import { parseBody } from '../validate.js';
import { countFor, integrationLists, wireLists } from './blocklist-views.js';
import type { BlocklistSubscriber } from '../../domain/blocklist.js';

const Id = Params('id');

function entityType(raw: string): IntegrationType {
  if ((INTEGRATION_TYPES as readonly string[]).includes(raw)) return raw as IntegrationType;
  throw new BadRequestError(`entity_type must be one of ${INTEGRATION_TYPES.join(', ')}, got '${raw}'`);
}

/** A format the integration's type can serve: a remediation component reads the stream, a firewall reads text. */
function outputFormat(raw: string, type: IntegrationType): OutputFormat {
  if (!isOutputFormat(raw)) throw new BadRequestError(`output_format must be one of ${OUTPUT_FORMATS.join(', ')}, got '${raw}'`);
  if (type === 'remediation_component_integration' && raw !== 'remediation_component')
    throw new BadRequestError(`a remediation_component_integration has output_format remediation_component, got '${raw}'`);
  if (type === 'firewall_integration' && raw === 'remediation_component')
    throw new BadRequestError('output_format remediation_component is for a remediation_component_integration, not a firewall_integration');
  return raw;
}

/** `tag=a&tag=b` or `tag=a,b`. */
function tagFilter(raw: string | string[] | undefined): string[] {
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw])
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/**
 * Where the integration is read from, on the host and scheme the request came with: a firewall pulls
 * `…/content`; a remediation component is configured with the base its bouncer appends `/v1/decisions/stream` to.
 */
function endpointOf(req: FastifyRequest, i: Integration): string {
  const base = `${req.protocol}://${req.host}/v1/integrations/${encodeURIComponent(i.id)}`;
  return i.entityType === 'firewall_integration' ? `${base}/content` : base;
}

/**
 * The admin API for integrations (the console's Service API shapes), behind admin keys. Credentials are
 * shown once: on create and when a PATCH regenerates them; only their hash is stored.
 */
export async function integrationAdminEndpoints(deps: AppDeps) {
  const org = await organizationId(deps.db, deps.config.admin.organizationId);
  const { db } = deps;

  const wire = async (req: FastifyRequest, i: Integration, credentials?: Credentials | null, subs?: readonly BlocklistSubscriber[]) => {
    const lists = await integrationLists(deps, i, subs);
    return integrationResponse(i, {
      organizationId: org,
      lists: wireLists(lists),
      endpoint: endpointOf(req, i),
      count: await countFor(deps, i, lists),
      credentials,
    });
  };

  return {
    create: endpoint({
      doc: docs.create,
      handler: async (req, reply) => {
        const body = parseBody(Create, req.body, 400);
        const type = entityType(body.entity_type);
        const { integration, credentials } = await createIntegration(deps, {
          name: body.name,
          description: body.description ?? '',
          entityType: type,
          outputFormat: outputFormat(body.output_format, type),
          pullLimit: body.pull_limit ?? null,
          enableIpAggregation: body.enable_ip_aggregation ?? false,
          tags: body.tags ?? [],
        });
        return reply.code(201).send(await wire(req, integration, credentials));
      },
    }),

    list: endpoint({
      doc: docs.list,
      schema: { querystring: QueryMap },
      handler: async (req) => {
        const p = parsePage(req.query);
        const tags = tagFilter(req.query.tag);
        const [page, total] = await Promise.all([pageIntegrations(db, p.offset, p.size, tags), countIntegrations(db, tags)]);
        const subs = page.length === 0 ? [] : await allBlocklistSubscriptions(db);
        const items = [];
        for (const i of page) items.push(await wire(req, i, null, subs));
        return pageOf('/v1/integrations', items, total, p) satisfies Static<typeof IntegrationPage>;
      },
    }),

    get: endpoint({
      doc: docs.get,
      schema: { params: Id },
      handler: async (req) => wire(req, await requireIntegration(db, req.params.id)),
    }),

    update: endpoint({
      doc: docs.update,
      schema: { params: Id },
      handler: async (req) => {
        const body = parseBody(Patch, req.body, 400);
        const current = await requireIntegration(db, req.params.id);
        const patch = {
          name: body.name,
          description: body.description,
          outputFormat: body.output_format === undefined ? undefined : outputFormat(body.output_format, current.entityType),
          pullLimit: body.pull_limit,
          enableIpAggregation: body.enable_ip_aggregation,
          tags: body.tags,
        };
        const r = await updateIntegration(deps, current.id, patch, body.regenerate_credentials === true);
        return wire(req, r.integration, r.credentials);
      },
    }),

    delete: endpoint({
      doc: docs.delete,
      schema: { querystring: QueryMap, params: Id },
      handler: async (req, reply) => {
        await deleteIntegration(deps, req.params.id, booleanQuery(req.query, 'force'));
        return reply.code(204).send();
      },
    }),
  };
}
