import { deleteAllowlist } from '../../store/allowlists.js';
import type { Db } from '../../store/db.js';
import type { LeafCommand } from '../args.js';
import { withDb } from '../context.js';
import { requireListByName } from './common.js';

/**
 * `lapis allowlists delete`: deletes a list with its items and its subscriptions (the admin API refuses
 * a list that has subscribers unless forced; the CLI, as cscli, does not ask). Decisions it ended stay ended.
 * Throws CliError `allowlist 'NAME' not found`.
 */
export async function allowlistsDelete(db: Db, name: string): Promise<void> {
  const list = await requireListByName(db, name);
  await deleteAllowlist(db, list.id, true);
}

export const deleteCommand: LeafCommand = {
  name: 'delete',
  usage: 'NAME',
  summary: 'Delete an allowlist',
  description: 'Delete an allowlist, with its items and its subscriptions (even when something subscribes to it).',
  examples: ['lapis allowlists delete my_allowlist'],
  flags: {
    force: { type: 'boolean', description: 'accepted for scripts written for the admin API: a list with subscribers is deleted anyway' },
  },
  args: { min: 1, max: 1 },
  async run(ctx, [name]) {
    await withDb(ctx, (db) => allowlistsDelete(db, name!));
    ctx.out.line(`allowlist '${name}' deleted successfully`);
  },
};
