import { deleteBlocklist } from '../../usecases/blocklists.js';
import { blocklistSubscribers } from '../../store/blocklists.js';
import type { Db } from '../../store/db.js';
import { boolFlag, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { requireBlocklistByName } from './common.js';

/**
 * `lapis blocklists delete`: deletes a list with its items; the decisions it was served as end in the same
 * transaction. A list that something subscribes to is refused unless `force` (which ends the subscriptions).
 * Throws CliError `blocklist 'NAME' not found`, ForbiddenError for the built-in `lapi` list.
 */
export async function blocklistsDelete(db: Db, name: string, force: boolean): Promise<void> {
  const list = await requireBlocklistByName(db, name);
  const subs = await blocklistSubscribers(db, list.id);
  if (subs.length > 0 && !force && list.kind !== 'lapi') {
    throw new CliError(`blocklist '${name}' has ${subs.length} subscriber(s): unsubscribe them first, or use --force`);
  }
  await deleteBlocklist({ db }, list.id, force);
}

export const deleteCommand: LeafCommand = {
  name: 'delete',
  usage: 'NAME',
  summary: 'Delete a blocklist',
  description: 'Delete a blocklist and its items; the decisions it was served as end. A list with subscribers is refused unless --force.',
  examples: ['lapis blocklists delete scanners', 'lapis blocklists delete scanners --force'],
  flags: {
    force: { type: 'boolean', description: 'delete the list even when something subscribes to it (the subscriptions end)' },
  },
  args: { min: 1, max: 1 },
  async run(ctx, [name], flags) {
    await withDb(ctx, (db) => blocklistsDelete(db, name!, boolFlag(flags, 'force')));
    ctx.out.line(`blocklist '${name}' deleted successfully`);
  },
};
