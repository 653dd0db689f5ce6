import type { FastifyBaseLogger } from 'fastify';
import { UserExistsError, JwtAuthError } from '../errors.js';
import { createBouncer, getBouncer, updateBouncerSeen, type Bouncer } from '../store/bouncers.js';
import type { Db } from '../store/db.js';
import { createMachine, getMachine, type Machine } from '../store/machines.js';
import { AUTH_CACHE_MS, generateApiKey, hashApiKey, parseUserAgent } from './api-key.js';
import { generatePassword, hashPassword } from './password.js';
import type { PeerCertificate, TlsAuth } from './tls.js';

export interface TlsBouncerRequest {
  peer: PeerCertificate;
  clientIp: string;
  userAgent: string;
  /** HEAD requests authenticate without bookkeeping, as upstream. */
  head: boolean;
  log: FastifyBaseLogger;
}

/**
 * Bouncer authentication by client certificate (as pkg/apiserver/middlewares/v1/tls_auth.go): the certificate must pass TlsAuth
 * for the bouncer OUs; the bouncer is `CN@client-ip`, created on first use (auth_type tls, auto-created,
 * an unusable random key) and refused when that name belongs to an API-key bouncer. The certificate is
 * checked on every request; the database row is remembered for AUTH_CACHE_MS, as for API keys.
 * Returns undefined for every refusal (the caller answers 403 `access forbidden`).
 */
export function tlsBouncerAuthenticator(
  db: Db,
  auth: TlsAuth,
  now: () => number = Date.now,
): (req: TlsBouncerRequest) => Promise<Bouncer | undefined> {
  const cache = new Map<string, { bouncer: Bouncer; until: number }>();
  return async (req) => {
    const verdict = await auth.validate(req.peer, 'bouncer');
    if ('error' in verdict) {
      req.log.warn({ ip: req.clientIp, reason: verdict.error, tlsError: req.peer.tlsError }, 'TLS bouncer authentication failed');
      return undefined;
    }
    const name = `${verdict.cn}@${req.clientIp}`;
    const k = `${req.head ? 'H' : 'G'}\u0000${name}\u0000${req.userAgent}`;
    const t = now();
    const hit = cache.get(k);
    if (hit && hit.until > t) return hit.bouncer;
    const bouncer = await tlsBouncer(db, name, req);
    if (cache.size > 10_000) cache.clear();
    if (bouncer) cache.set(k, { bouncer, until: t + AUTH_CACHE_MS });
    else cache.delete(k);
    return bouncer;
  };
}

async function tlsBouncer(db: Db, name: string, req: TlsBouncerRequest): Promise<Bouncer | undefined> {
  let bouncer = await getBouncer(db, name);
  if (!bouncer) {
    try {
      // the key is never used: this bouncer authenticates with its certificate only
      bouncer = await createBouncer(db, {
        name,
        keyHash: hashApiKey(generateApiKey()),
        ipAddress: req.clientIp,
        authType: 'tls',
        autoCreated: true,
      });
      req.log.info({ name }, 'TLS bouncer created');
    } catch (err) {
      if (!(err instanceof UserExistsError)) throw err;
      bouncer = await getBouncer(db, name); // created by a concurrent request
    }
  }
  if (bouncer?.authType !== 'tls') {
    req.log.warn({ name }, "bouncer isn't allowed to auth by TLS");
    return undefined;
  }
  if (req.head) return bouncer;
  const { type, version } = parseUserAgent(req.userAgent);
  const ipAddress = bouncer.ipAddress === '' ? req.clientIp : undefined;
  if (ipAddress !== undefined || bouncer.type !== type || bouncer.version !== version) {
    await updateBouncerSeen(db, bouncer.id, { ...(ipAddress !== undefined ? { ipAddress } : {}), type, version });
    bouncer.type = type;
    bouncer.version = version;
    if (ipAddress !== undefined) bouncer.ipAddress = ipAddress;
  }
  return bouncer;
}

/**
 * The machine an agent's certificate logs in as: `CN@client-ip`, created validated on first use with
 * auth_type tls and a random password (nobody knows it). Throws JwtAuthError with upstream's message
 * when that name belongs to a password machine.
 */
export async function tlsMachine(db: Db, cn: string, clientIp: string): Promise<Machine> {
  const machineId = `${cn}@${clientIp}`;
  let machine = await getMachine(db, machineId);
  if (!machine) {
    try {
      const passwordHash = await hashPassword(generatePassword());
      machine = await createMachine(db, { machineId, passwordHash, ipAddress: '', isValidated: true, authType: 'tls' });
    } catch (err) {
      if (!(err instanceof UserExistsError))
        throw new JwtAuthError(`while creating machine entry for ${machineId}: ${(err as Error).message}`);
      machine = await getMachine(db, machineId);
      if (!machine) throw new JwtAuthError(`while creating machine entry for ${machineId}: ${err.message}`);
    }
  }
  if (machine.authType !== 'tls') {
    throw new JwtAuthError(`machine ${machineId} attempted to auth with TLS cert but it is configured to use ${machine.authType}`);
  }
  return machine;
}
