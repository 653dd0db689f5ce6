import type { Credentials, Integration, IntegrationType } from '../../domain/integration.js';
import { createIntegration } from '../../usecases/integrations.js';
import type { Db } from '../../store/db.js';
import { boolFlag, listFlag, stringFlag, type FlagSpec, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { integrationFormat, integrationType, printCredentials, pullLimit, showIntegration } from './common.js';

export interface IntegrationsCreateOptions {
  type: IntegrationType;
  /** Default: plain_text for a firewall, remediation_component for a remediation component. */
  format?: string | undefined;
  pullLimit?: number | null;
  aggregate?: boolean;
  tags?: readonly string[];
  description?: string | undefined;
}

/** Tags given on the command line: none may be empty. */
export function checkTags(tags: readonly string[]): string[] {
  if (tags.some((t) => t.trim() === '')) throw new CliError('a tag cannot be empty');
  return [...new Set(tags)];
}

/**
 * `lapis integrations create`: a firewall (Basic username and password) or a remediation component (an API
 * key), whose credentials are returned once: only their hash is stored. Throws CliError for a bad type or
 * format, ConflictError `integration 'NAME' already exists`.
 */
export async function integrationsCreate(
  db: Db,
  name: string,
  o: IntegrationsCreateOptions,
  now = Date.now(),
): Promise<{ integration: Integration; credentials: Credentials }> {
  if (name.trim() === '' || name.length > 200) throw new CliError('an integration name must be 1 to 200 characters');
  const format = integrationFormat(o.format ?? (o.type === 'firewall_integration' ? 'plain_text' : 'remediation_component'), o.type);
  return createIntegration(
    { db },
    {
      name,
      description: o.description ?? '',
      entityType: o.type,
      outputFormat: format,
      pullLimit: o.pullLimit ?? null,
      enableIpAggregation: o.aggregate ?? false,
      tags: checkTags(o.tags ?? []),
    },
    now,
  );
}

export const FORMAT_FLAG: FlagSpec = {
  type: 'string',
  description:
    'output format of a firewall: plain_text, f5, fortigate, paloalto, checkpoint, cisco, juniper, mikrotik, pfsense, opnsense, sophos (a remediation component: remediation_component)',
};
export const PULL_LIMIT_FLAG: FlagSpec = {
  type: 'string',
  valueName: 'int',
  description: 'the most entries one pull serves (0: no limit)',
};
export const TAG_FLAG: FlagSpec = {
  type: 'string',
  multiple: true,
  valueName: 'stringArray',
  description: 'a tag (repeatable): blocklists subscribed with --type tag reach it',
};

export const createCommand: LeafCommand = {
  name: 'create',
  usage: 'NAME',
  summary: 'Create a firewall or remediation component integration',
  description:
    'Create an integration: a firewall that pulls blocklists as text over HTTP Basic (--type firewall), or a bouncer that reads them with the LAPI stream protocol and an API key (--type remediation_component).\nThe credentials are printed once: only their hash is stored (lapis integrations update --regenerate makes new ones). -o raw prints only the secret: username:password, or the API key.',
  examples: [
    'lapis integrations create edge-fw --type firewall --format mikrotik --pull-limit 50000',
    'lapis integrations create cf-worker --type remediation_component -o raw',
  ],
  flags: {
    type: {
      type: 'string',
      short: 't',
      description: 'firewall (firewall_integration) or remediation_component (remediation_component_integration) (required)',
    },
    format: FORMAT_FLAG,
    'pull-limit': PULL_LIMIT_FLAG,
    aggregate: { type: 'boolean', description: 'merge entries into the fewest CIDR blocks' },
    tag: TAG_FLAG,
    description: { type: 'string', short: 'd', description: 'description of the integration' },
  },
  args: { min: 1, max: 1 },
  async run(ctx, [name], flags) {
    const raw = stringFlag(flags, 'type');
    if (raw === undefined) throw new CliError('required flag(s) "type" not set');
    const type = integrationType(raw);
    const limit = stringFlag(flags, 'pull-limit');
    const o: IntegrationsCreateOptions = {
      type,
      format: stringFlag(flags, 'format'),
      pullLimit: limit === undefined ? null : pullLimit(limit),
      aggregate: boolFlag(flags, 'aggregate'),
      tags: listFlag(flags, 'tag'),
      description: stringFlag(flags, 'description'),
    };
    // checked before the store is opened: a bad flag changes nothing
    integrationFormat(o.format ?? (type === 'firewall_integration' ? 'plain_text' : 'remediation_component'), type);
    const { integration, credentials } = await withDb(ctx, (db) => integrationsCreate(db, name!, o));
    printCredentials(
      ctx.out,
      `Integration '${name}' created (${integration.entityType}, ${integration.outputFormat}).`,
      showIntegration(integration, []),
      credentials,
    );
  },
};
