import type { BouncerAuthenticator } from '../auth/api-key.js';
import type { JwtService } from '../auth/jwt.js';
import type { MachineSessions } from '../auth/machine-session.js';
import type { TlsAuth } from '../auth/tls.js';
import type { Config } from '../config/schema.js';
import type { UseCaseDeps } from '../usecases/deps.js';

/** What the HTTP layer needs from the outside world, built once by runtime.ts; tests build it with a real database. */
export interface AppDeps extends UseCaseDeps {
  readonly config: Config;
  readonly jwt: JwtService;
  /** Which JWTs may act: the token's machine must exist and be validated. */
  readonly sessions: MachineSessions;
  /** Client-certificate authentication (bouncers and agent logins), when `api.server.tls` is set. */
  readonly tls?: TlsAuth | undefined;
  /** The API-key check both bouncer route groups and the query fast path share (one cache of recent checks). */
  readonly bouncerKeys: BouncerAuthenticator;
}
