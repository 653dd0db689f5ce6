import { JwtAuthError } from '../errors.js';
import type { Db } from '../store/db.js';
import { getMachine } from '../store/machines.js';
import type { IssuedToken, JwtService, MachineClaims } from './jwt.js';

/**
 * How long a machine found valid is trusted without asking the store again. A machine deleted or
 * unvalidated by this process is refused at once (`forget`); by the CLI or another node, at most this late.
 */
export const MACHINE_CACHE_MS = 1000;

interface Known {
  /** Seconds: tokens whose session opened before the machine (re)appeared belong to a predecessor. */
  createdS: number;
  until: number;
}

/**
 * Machine sessions: a JWT is accepted only while its machine exists, is validated, and is not younger than
 * the token (a token of a deleted machine must not come back to life when the name is registered again).
 * Upstream checks the signature and expiry only, and draws a new secret at each start; Lapis keeps its
 * secret across restarts, so it must look at the machine itself. One cached lookup per machine per second
 * keeps agents' request rate off the store.
 */
export class MachineSessions {
  private readonly known = new Map<string, Known>();

  constructor(
    private readonly db: Db,
    private readonly jwt: JwtService,
    private readonly now: () => number = Date.now,
  ) {}

  /** The claims of a token whose machine may act now. Throws JwtAuthError (401) otherwise. */
  async verify(token: string): Promise<MachineClaims> {
    const claims = await this.jwt.verify(token);
    await this.check(claims);
    return claims;
  }

  /** A refreshed token for the same session (its original issue time kept), if its machine may still act. */
  async refresh(token: string): Promise<IssuedToken> {
    const nowS = Math.floor(this.now() / 1000);
    const claims = await this.jwt.refreshable(token, nowS);
    await this.check(claims);
    return this.jwt.issue(claims.id, nowS, claims.orig_iat);
  }

  /** Drops what is cached about a machine: call it when this process deletes or changes one. */
  forget(machineId: string): void {
    this.known.delete(machineId);
  }

  private async check(claims: MachineClaims): Promise<void> {
    const t = this.now();
    let known = this.known.get(claims.id);
    if (!known || known.until <= t) {
      const machine = await getMachine(this.db, claims.id);
      if (!machine) {
        this.known.delete(claims.id);
        throw new JwtAuthError(`machine '${claims.id}' not found`);
      }
      if (!machine.isValidated) {
        this.known.delete(claims.id);
        throw new JwtAuthError(`machine '${claims.id}' not validated`);
      }
      // a bounded map: ids come from verified tokens only, but a long-lived node sees many machines come and go
      if (this.known.size >= 10_000) this.known.clear();
      known = { createdS: Math.floor(machine.createdAt / 1000), until: t + MACHINE_CACHE_MS };
      this.known.set(claims.id, known);
    }
    if (claims.orig_iat < known.createdS) throw new JwtAuthError(`token was issued before machine '${claims.id}' was created`);
  }
}
