import { deleteAdminKey, listAdminKeys } from '../../store/admin-keys.js';
import type { Db } from '../../store/db.js';
import type { LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';

/**
 * `lapis apikeys delete`: every name is checked first, so that an unknown one (CliError
 * `admin key 'X' not found`) deletes nothing. A running server refuses a deleted key within two seconds (its authentication cache).
 */
export async function apikeysDelete(db: Db, names: readonly string[]): Promise<string[]> {
  const have = new Set((await listAdminKeys(db)).map((k) => k.name));
  const missing = names.find((n) => !have.has(n));
  if (missing !== undefined) throw new CliError(`admin key '${missing}' not found`);
  const unique = [...new Set(names)];
  for (const name of unique) await deleteAdminKey(db, name);
  return unique;
}

export const deleteCommand: LeafCommand = {
  name: 'delete',
  aliases: ['remove'],
  usage: 'NAME...',
  summary: 'delete admin API key(s)',
  examples: ['lapis apikeys delete console-sync ci'],
  args: { min: 1, max: Infinity },
  async run(ctx, names) {
    const deleted = await withDb(ctx, (db) => apikeysDelete(db, names));
    for (const name of deleted) ctx.out.line(`admin key '${name}' deleted`);
  },
};
