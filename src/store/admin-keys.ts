import type { Kysely } from 'kysely';
import { ConflictError } from '../errors.js';
import { refusingDuplicates } from './dialect.js';
import type { Tables } from './tables.js';

/** A key of the admin API: named, stored as the SHA-512 of the key (as bouncer keys), never in clear. */
export interface AdminKey {
  id: number;
  name: string;
  keyHash: string;
  createdAt: number;
  lastUsedAt: number | null;
}

type Row = { id: number; name: string; key_hash: string; created_at: number; last_used_at: number | null };

function toKey(r: Row): AdminKey {
  return {
    id: Number(r.id),
    name: r.name,
    keyHash: r.key_hash,
    createdAt: Number(r.created_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
  };
}

export async function createAdminKey(db: Kysely<Tables>, name: string, keyHash: string, now = Date.now()): Promise<void> {
  await refusingDuplicates(
    () => db.insertInto('admin_keys').values({ name, key_hash: keyHash, created_at: now, last_used_at: null }).execute(),
    () => new ConflictError(`admin key '${name}' already exists`),
  );
}

export async function listAdminKeys(db: Kysely<Tables>): Promise<AdminKey[]> {
  return (await db.selectFrom('admin_keys').selectAll().orderBy('id').execute()).map(toKey);
}

export async function adminKeyByHash(db: Kysely<Tables>, keyHash: string): Promise<AdminKey | undefined> {
  const r = await db.selectFrom('admin_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
  return r && toKey(r);
}

export async function deleteAdminKey(db: Kysely<Tables>, name: string): Promise<number> {
  return Number((await db.deleteFrom('admin_keys').where('name', '=', name).executeTakeFirst()).numDeletedRows);
}

export async function touchAdminKey(db: Kysely<Tables>, id: number, now = Date.now()): Promise<void> {
  await db.updateTable('admin_keys').set({ last_used_at: now }).where('id', '=', id).execute();
}
