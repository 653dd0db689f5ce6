import type { Db } from '../store/db.js';
import { adminKeyByHash, touchAdminKey, type AdminKey } from '../store/admin-keys.js';
import { AUTH_CACHE_MS, hashApiKey, sameHash } from './api-key.js';

/** `last_used_at` is written at most once a minute per key. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Authenticates `x-api-key` on the admin API against admin keys only: a bouncer's key is refused here,
 * as an admin key is refused on bouncer routes (they live in different tables). Successes are cached briefly.
 */
export function adminAuthenticator(db: Db, now: () => number = Date.now): (key: string | undefined) => Promise<AdminKey | undefined> {
  const cache = new Map<string, { key: AdminKey; until: number }>();
  return async (key) => {
    if (!key) return undefined;
    const hash = hashApiKey(key);
    const t = now();
    const hit = cache.get(hash);
    if (hit && hit.until > t) return hit.key;
    const found = await adminKeyByHash(db, hash);
    if (!found || !sameHash(found.keyHash, hash)) {
      cache.delete(hash);
      return undefined;
    }
    if (found.lastUsedAt === null || t - found.lastUsedAt >= TOUCH_EVERY_MS) await touchAdminKey(db, found.id, t);
    if (cache.size > 1000) cache.clear();
    cache.set(hash, { key: found, until: t + AUTH_CACHE_MS });
    return found;
  };
}
