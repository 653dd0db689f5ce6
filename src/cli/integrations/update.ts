import type { Credentials, Integration } from '../../domain/integration.js';
import type { IntegrationPatch } from '../../store/integrations.js';
import { updateIntegration } from '../../usecases/integrations.js';
import type { Db } from '../../store/db.js';
import { boolFlag, listFlag, stringFlag, type FlagValues, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { checkTags, FORMAT_FLAG, PULL_LIMIT_FLAG, TAG_FLAG } from './create.js';
import { integrationFormat, listsRead, printCredentials, pullLimit, requireIntegrationRef, showIntegration } from './common.js';

export interface IntegrationsUpdateOptions {
  format?: string | undefined;
  /** null: no limit. */
  pullLimit?: number | null | undefined;
  aggregate?: boolean | undefined;
  /** Replace the tags. */
  tags?: readonly string[] | undefined;
  description?: string | undefined;
  /** New credentials (the old ones stop working at once), returned once. */
  regenerate?: boolean;
}

/**
 * `lapis integrations update`: changes the settings given (by name or id), and with `regenerate` makes
 * new credentials. Throws CliError `integration 'X' not found`, for a format the type cannot use, or when
 * nothing is to change.
 */
export async function integrationsUpdate(
  db: Db,
  ref: string,
  o: IntegrationsUpdateOptions,
  now = Date.now(),
): Promise<{ integration: Integration; credentials: Credentials | null }> {
  const current = await requireIntegrationRef(db, ref);
  const patch: Omit<IntegrationPatch, 'credentials'> = {
    ...(o.format !== undefined ? { outputFormat: integrationFormat(o.format, current.entityType) } : {}),
    ...(o.pullLimit !== undefined ? { pullLimit: o.pullLimit } : {}),
    ...(o.aggregate !== undefined ? { enableIpAggregation: o.aggregate } : {}),
    ...(o.tags !== undefined ? { tags: checkTags(o.tags) } : {}),
    ...(o.description !== undefined ? { description: o.description } : {}),
  };
  if (Object.keys(patch).length === 0 && !o.regenerate)
    throw new CliError('nothing to update: give --format, --pull-limit, --aggregate, --no-aggregate, --tag, -d or --regenerate');
  return updateIntegration({ db }, current.id, patch, o.regenerate ?? false, now);
}

function options(flags: FlagValues): IntegrationsUpdateOptions {
  if (boolFlag(flags, 'aggregate') && boolFlag(flags, 'no-aggregate'))
    throw new CliError('--aggregate and --no-aggregate exclude each other');
  const limit = stringFlag(flags, 'pull-limit');
  const tags = listFlag(flags, 'tag');
  return {
    format: stringFlag(flags, 'format'),
    pullLimit: limit === undefined ? undefined : pullLimit(limit),
    aggregate: boolFlag(flags, 'aggregate') ? true : boolFlag(flags, 'no-aggregate') ? false : undefined,
    tags: tags.length > 0 ? tags : undefined,
    description: stringFlag(flags, 'description'),
    regenerate: boolFlag(flags, 'regenerate'),
  };
}

export const updateCommand: LeafCommand = {
  name: 'update',
  usage: 'NAME|ID',
  summary: 'Change an integration, or regenerate its credentials',
  description:
    'Change the settings given. --tag replaces the tags. --regenerate makes new credentials, printed once (the old ones stop working at once); -o raw then prints only the secret.',
  examples: ['lapis integrations update edge-fw --format f5 --pull-limit 0', 'lapis integrations update edge-fw --regenerate -o raw'],
  flags: {
    format: FORMAT_FLAG,
    'pull-limit': PULL_LIMIT_FLAG,
    aggregate: { type: 'boolean', description: 'merge entries into the fewest CIDR blocks' },
    'no-aggregate': { type: 'boolean', description: 'serve entries as they are (deduplicated)' },
    tag: { ...TAG_FLAG, description: 'a tag (repeatable): replaces the tags' },
    description: { type: 'string', short: 'd', description: 'description of the integration' },
    regenerate: { type: 'boolean', description: 'make new credentials (printed once)' },
  },
  args: { min: 1, max: 1 },
  async run(ctx, [ref], flags) {
    const o = options(flags);
    const { integration, credentials, read } = await withDb(ctx, async (db) => {
      const r = await integrationsUpdate(db, ref!, o);
      return { ...r, read: (await listsRead(db, [r.integration])).get(r.integration.id) ?? [] };
    });
    const shown = showIntegration(integration, read);
    if (credentials) {
      return printCredentials(ctx.out, `New credentials for integration '${integration.name}':`, shown, credentials);
    }
    if (ctx.out.format === 'json') return ctx.out.json(shown);
    ctx.out.line(`integration '${integration.name}' updated`);
  },
};
