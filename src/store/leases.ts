import type { Kysely } from 'kysely';
import { isUniqueViolation } from './dialect.js';
import type { Tables } from './tables.js';

/**
 * Takes or renews the lease `name` for `holder` until `now + ttlMs`. Returns whether `holder` has it.
 * One conditional UPDATE (or the first INSERT) decides, so two nodes never both win.
 */
export async function tryLease(db: Kysely<Tables>, name: string, holder: string, ttlMs: number, now = Date.now()): Promise<boolean> {
  const r = await db
    .updateTable('leases')
    .set({ holder, expires_at: now + ttlMs })
    .where('name', '=', name)
    .where((eb) => eb.or([eb('holder', '=', holder), eb('expires_at', '<', now)]))
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) > 0) return true;
  try {
    await db
      .insertInto('leases')
      .values({ name, holder, expires_at: now + ttlMs })
      .execute();
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

/** Gives the lease up (at shutdown), so another node takes over at once. */
export async function releaseLease(db: Kysely<Tables>, name: string, holder: string): Promise<void> {
  await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
}
