import { listAdminKeys, type AdminKey } from '../../store/admin-keys.js';
import type { Db } from '../../store/db.js';
import { rfc3339, rfc3339Nano } from '../../go-format.js';
import type { Printer } from '../output.js';
import { readVerb } from '../read-verb.js';

/** Every admin key, oldest first (hashes included: the caller prints what it needs). */
export async function apikeysList(db: Db): Promise<AdminKey[]> {
  return listAdminKeys(db);
}

export function printAdminKeys(out: Printer, keys: readonly AdminKey[]): void {
  switch (out.format) {
    case 'human':
      return out.table(
        ['Name', 'Created at', 'Last used'],
        keys.map((k) => [k.name, rfc3339(k.createdAt), k.lastUsedAt === null ? 'never' : rfc3339(k.lastUsedAt)]),
      );
    case 'json':
      return out.json(
        keys.map((k) => ({
          name: k.name,
          created_at: rfc3339Nano(k.createdAt),
          last_used_at: k.lastUsedAt === null ? null : rfc3339Nano(k.lastUsedAt),
        })),
      );
    case 'raw':
      return out.csv(
        ['name', 'created_at', 'last_used_at'],
        keys.map((k) => [k.name, rfc3339(k.createdAt), k.lastUsedAt === null ? '' : rfc3339(k.lastUsedAt)]),
      );
  }
}

export const listCommand = readVerb(
  { name: 'list', summary: 'list the admin API keys', examples: ['lapis apikeys list'], args: { min: 0, max: 0 } },
  (db) => apikeysList(db),
  printAdminKeys,
);
