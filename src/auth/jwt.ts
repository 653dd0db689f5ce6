import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors as joseErrors, jwtVerify, SignJWT, decodeJwt } from 'jose';
import { JwtAuthError } from '../errors.js';

/**
 * As upstream: tokens live one hour, and can be refreshed within an hour of their original issue time.
 * Unlike upstream, a refreshed token keeps the original issue time (`orig_iat`), so refreshing never
 * extends a session beyond TOKEN_TTL_S + MAX_REFRESH_S after the login that opened it.
 */
export const TOKEN_TTL_S = 3600;
export const MAX_REFRESH_S = 3600;

export interface MachineClaims {
  id: string;
  exp: number;
  orig_iat: number;
}

export interface IssuedToken {
  token: string;
  /** Unix seconds. */
  exp: number;
}

/**
 * The JWT secret: `CS_LAPI_SECRET` when set (required when several nodes share a database), otherwise
 * 64 random bytes drawn once and kept in the data dir, so tokens survive a restart (upstream loses them).
 */
export function loadJwtSecret(configured: string | null, dataDir: string): Uint8Array {
  if (configured) return new TextEncoder().encode(configured);
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) {
    const hex = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{128}$/.test(hex)) return Buffer.from(hex, 'hex');
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = crypto.getRandomValues(new Uint8Array(64));
  writeFileSync(file, `${Buffer.from(secret).toString('hex')}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

/**
 * Tokens whose signature was checked, kept with their claims until they expire: an agent sends the same
 * token with every push for up to an hour, and checking an HMAC through WebCrypto (a key import, a hop to
 * the thread pool) cost more than the rest of the authentication. The key is the whole token, so only a
 * token already verified byte for byte is ever answered from here. Bounded: cleared when full.
 */
const VERIFIED_MAX = 10_000;

export class JwtService {
  private readonly verified = new Map<string, MachineClaims>();

  constructor(private readonly secret: Uint8Array) {}

  /** A token for a login at `nowS`; a refresh passes the session's original issue time as `origIat`. */
  async issue(machineId: string, nowS = Math.floor(Date.now() / 1000), origIat = nowS): Promise<IssuedToken> {
    const exp = nowS + TOKEN_TTL_S;
    const token = await new SignJWT({ id: machineId, exp, orig_iat: origIat })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(this.secret);
    return { token, exp };
  }

  /** Verifies signature and expiry. Throws JwtAuthError with upstream's messages. */
  async verify(token: string): Promise<MachineClaims> {
    const known = this.verified.get(token);
    // as jose decides expiry: a token is expired once `exp <= now`, in whole seconds
    if (known && known.exp > Math.floor(Date.now() / 1000)) return known;
    const claims = await this.verifySignature(token, false);
    if (this.verified.size >= VERIFIED_MAX) this.verified.clear();
    this.verified.set(token, claims);
    return claims;
  }

  /**
   * The claims of a token that may be refreshed: its only defect may be expiry, and its session must have
   * opened within the refresh window. The caller checks the machine, then calls `issue(id, now, orig_iat)`.
   */
  async refreshable(token: string, nowS = Math.floor(Date.now() / 1000)): Promise<MachineClaims> {
    const claims = await this.verifySignature(token, true);
    if (claims.orig_iat < nowS - MAX_REFRESH_S) throw new JwtAuthError('token is expired');
    return claims;
  }

  private async verifySignature(token: string, allowExpired: boolean): Promise<MachineClaims> {
    if (token.split('.').length !== 3) throw new JwtAuthError('token contains an invalid number of segments');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.secret, {
        algorithms: ['HS256'],
        ...(allowExpired ? { currentDate: new Date(0) } : {}),
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new JwtAuthError('Token is expired');
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new JwtAuthError('signature is invalid');
      if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'exp')
        throw new JwtAuthError('exp must be float64 format', 400);
      if (err instanceof joseErrors.JOSEAlgNotAllowed) throw new JwtAuthError('signing method (alg) is unavailable');
      throw new JwtAuthError('token is malformed');
    }
    if (payload.exp === undefined) throw new JwtAuthError('missing exp field', 400);
    if (typeof payload.exp !== 'number') throw new JwtAuthError('exp must be float64 format', 400);
    if (typeof payload.id !== 'string') throw new JwtAuthError('token is malformed');
    const origIat = typeof payload.orig_iat === 'number' ? payload.orig_iat : 0;
    return { id: payload.id, exp: payload.exp, orig_iat: origIat };
  }
}

/** The machine id a token names, without verifying it (for logs only). */
export function peekMachineId(token: string): string | undefined {
  try {
    const id = decodeJwt(token).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
