import { generateApiKey, hashApiKey } from '../../auth/api-key.js';
import { ConflictError } from '../../errors.js';
import { createAdminKey } from '../../store/admin-keys.js';
import type { Db } from '../../store/db.js';
import type { LeafCommand } from '../args.js';
import { printApiKey } from '../bouncers/add.js';
import { CliError, withDb } from '../context.js';

/**
 * `lapis apikeys add`: a random key (as bouncer keys: 43 chars) for the admin API, stored as its SHA-512.
 * Returns the key. Throws CliError `unable to create admin key: admin key 'NAME' already exists`.
 */
export async function apikeysAdd(db: Db, name: string, now = Date.now()): Promise<string> {
  const key = generateApiKey();
  try {
    await createAdminKey(db, name, hashApiKey(key), now);
  } catch (err) {
    if (err instanceof ConflictError) throw new CliError(`unable to create admin key: ${err.message}`);
    throw err;
  }
  return key;
}

export const addCommand: LeafCommand = {
  name: 'add',
  usage: 'NAME',
  summary: 'create an admin API key',
  description:
    'Create a key for the admin API (allowlists over REST, on api.admin.listen_uri, default 127.0.0.1:8081), sent in the X-Api-Key header.\nThe key is printed once: only its hash is stored.',
  examples: ['lapis apikeys add console-sync', 'lapis apikeys add ci -o raw'],
  args: { min: 1, max: 1 },
  async run(ctx, [name]) {
    const key = await withDb(ctx, (db) => apikeysAdd(db, name!));
    printApiKey(ctx.out, name!, key);
  },
};
