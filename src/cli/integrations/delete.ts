import { loadAllowlistState } from '../../store/allowlist-state.js';
import type { Db } from '../../store/db.js';
import { deleteIntegration } from '../../usecases/integrations.js';
import { boolFlag, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { requireIntegrationRef } from './common.js';

const BY_ID = new Set(['firewall_integration', 'remediation_component_integration']);

/**
 * `lapis integrations delete`: deletes an integration (by name or id). While lists (block or allow) are
 * subscribed to it by id, only with `force`, which ends those subscriptions and the decisions only they
 * served. Returns its name. Throws CliError `integration 'X' not found`.
 */
export async function integrationsDelete(db: Db, ref: string, force: boolean): Promise<string> {
  const i = await requireIntegrationRef(db, ref);
  const state = await loadAllowlistState(db);
  const n =
    state.blocklistSubscriptions.filter((s) => BY_ID.has(s.entityType) && s.entityId === i.id).length +
    state.subscribers.filter((s) => BY_ID.has(s.entityType) && s.entityId === i.id).length;
  if (n > 0 && !force) throw new CliError(`integration '${i.name}' is subscribed to ${n} list(s): unsubscribe it first, or use --force`);
  await deleteIntegration({ db }, i.id, force);
  return i.name;
}

export const deleteCommand: LeafCommand = {
  name: 'delete',
  usage: 'NAME|ID',
  summary: 'Delete an integration',
  description:
    'Delete an integration: its credentials stop working. One that lists are subscribed to is refused unless --force (the subscriptions end).',
  examples: ['lapis integrations delete edge-fw', 'lapis integrations delete edge-fw --force'],
  flags: {
    force: { type: 'boolean', description: 'delete it even when lists are subscribed to it' },
  },
  args: { min: 1, max: 1 },
  async run(ctx, [ref], flags) {
    const name = await withDb(ctx, (db) => integrationsDelete(db, ref!, boolFlag(flags, 'force')));
    ctx.out.line(`integration '${name}' deleted successfully`);
  },
};
