import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { baseName } from '../domain/bouncer-name.js';
import type { Db } from '../store/db.js';
import { bouncersByKey, createBouncer, updateBouncerSeen, type Bouncer } from '../store/bouncers.js';

/** As upstream: unsalted SHA-512, lowercase hex. A key is 32 random bytes, so a salt would add nothing. */
export function hashApiKey(key: string): string {
  return createHash('sha512').update(key).digest('hex');
}

/** As `cscli bouncers add`: 32 random bytes, standard base64 without padding (43 chars). */
export function generateApiKey(): string {
  return randomBytes(32).toString('base64').replace(/=+$/, '');
}

/** Constant-time string equality (a length difference returns early, which reveals nothing secret here). */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What is kept of a User-Agent's type and version: the columns hold 255 characters (MySQL refuses more). */
const UA_PART_CHARS = 255;

/** Upstream's User-Agent rule: `type/version` when it splits in exactly two on `/`, else the whole UA and `N/A`. */
export function parseUserAgent(ua: string): { type: string; version: string } {
  const parts = ua.split('/');
  const [type, version] = parts.length === 2 ? [parts[0]!, parts[1]!] : [ua, 'N/A'];
  return { type: type.slice(0, UA_PART_CHARS), version: version.slice(0, UA_PART_CHARS) };
}

export interface BouncerRequest {
  key: string | undefined;
  clientIp: string;
  userAgent: string;
  /** HEAD requests authenticate without side effects, as upstream. */
  head: boolean;
}

/** How long a successful key check is reused. A bouncer deleted with the CLI is refused at most this much later. */
export const AUTH_CACHE_MS = 2000;

/**
 * A per-app authenticator that remembers successful checks for AUTH_CACHE_MS: bouncers in query
 * mode ask many times a second, and their answers come from memory, so should their credentials.
 */
/** The API-key check, and `peek`: the bouncer a recent successful check remembered, or nothing (no store, no side effect). */
export type BouncerAuthenticator = ((req: BouncerRequest) => Bouncer | undefined | Promise<Bouncer | undefined>) & {
  peek(req: BouncerRequest): Bouncer | undefined;
};

export function bouncerAuthenticator(db: Db, now: () => number = Date.now): BouncerAuthenticator {
  const cache = new Map<string, { bouncer: Bouncer; until: number; ua: string }>();
  // keys seen lately and their hashes: a SHA-512 per request is most of what a cached check costs
  const hashes = new Map<string, string>();
  const hashOf = (key: string) => {
    let h = hashes.get(key);
    if (h === undefined) {
      if (hashes.size >= 10_000) hashes.clear();
      hashes.set(key, (h = hashApiKey(key)));
    }
    return h;
  };
  const cacheKey = (req: BouncerRequest) => `${req.head ? 'H' : 'G'}\u0000${hashOf(req.key!)}\u0000${req.clientIp}`;
  const peek = (req: BouncerRequest, k = req.key ? cacheKey(req) : undefined) => {
    const hit = k === undefined ? undefined : cache.get(k);
    return hit && hit.until > now() && hit.ua === req.userAgent ? hit.bouncer : undefined;
  };
  // a hit answers synchronously: the request goes on without a promise
  const check = (req: BouncerRequest) => {
    if (!req.key) return undefined;
    const k = cacheKey(req);
    const hit = peek(req, k);
    if (hit) return hit;
    const t = now();
    return authenticateBouncer(db, req).then((bouncer) => {
      if (cache.size > 10_000) cache.clear();
      if (bouncer) cache.set(k, { bouncer, until: t + AUTH_CACHE_MS, ua: req.userAgent });
      else cache.delete(k);
      return bouncer;
    });
  };
  return Object.assign(check, { peek: (req: BouncerRequest) => peek(req) });
}

/**
 * Authenticates an `X-Api-Key` request (as pkg/apiserver/middlewares/v1/api_key.go): the bouncer whose key and IP match, or the
 * key's only bouncer on its first use, or else a new `name@ip` bouncer for a key reused from another IP.
 * Returns undefined for every rejection (the caller answers 403 `access forbidden`).
 */
export async function authenticateBouncer(db: Db, req: BouncerRequest): Promise<Bouncer | undefined> {
  if (!req.key) return undefined;
  const hash = hashApiKey(req.key);
  const holders = (await bouncersByKey(db, hash)).filter((b) => sameHash(b.keyHash, hash));
  const apiKeyHolders = holders.filter((b) => b.authType === 'api-key');
  if (req.head) return apiKeyHolders[0];

  let bouncer = holders.find((b) => b.ipAddress === req.clientIp);
  if (bouncer && bouncer.authType !== 'api-key') return undefined;
  if (!bouncer) {
    const first = apiKeyHolders[0];
    if (!first) return undefined;
    if (apiKeyHolders.length === 1 && first.ipAddress === '') {
      bouncer = first;
    } else {
      try {
        bouncer = await createBouncer(db, {
          name: `${baseName(first.name)}@${req.clientIp}`,
          keyHash: hash,
          ipAddress: req.clientIp,
          autoCreated: true,
        });
      } catch {
        return undefined; // a name clash, as upstream
      }
    }
  }
  await recordSeen(db, bouncer, req);
  return bouncer;
}

async function recordSeen(db: Db, b: Bouncer, req: BouncerRequest): Promise<void> {
  const { type, version } = parseUserAgent(req.userAgent);
  const ipAddress = b.ipAddress === '' ? req.clientIp : undefined;
  if (ipAddress === undefined && b.type === type && b.version === version) return;
  await updateBouncerSeen(db, b.id, { ...(ipAddress !== undefined ? { ipAddress } : {}), type, version });
  if (ipAddress !== undefined) b.ipAddress = ipAddress;
  b.type = type;
  b.version = version;
}
