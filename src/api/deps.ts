import type { Config } from '../config/schema.js';
import type { JwtService } from '../auth/jwt.js';
import type { MachineSessions } from '../auth/machine-session.js';
import type { Db } from '../store/db.js';
import type { DecisionFeed } from '../engine/decision-feed.js';
import type { AllowlistCache } from '../engine/allowlists.js';
import type { LapiMetrics } from '../metrics/lapi.js';
import type { ProfileRunner } from '../engine/profiles.js';
import type { NotificationDispatcher } from '../notify/index.js';

/** What the HTTP layer needs from the outside world; tests build it with a real database. */
export interface AppDeps {
  config: Config;
  db: Db;
  jwt: JwtService;
  /** Which JWTs may act: the token's machine must exist and be validated. */
  sessions: MachineSessions;
  /** The in-memory decision index and what keeps it in step with the store. */
  feed: DecisionFeed;
  /** The allowlists, in memory: what bouncers are not served and what alerts are dropped. */
  allowlists: AllowlistCache;
  /** How long expired decisions stay available to stream deltas. */
  graceMs: number;
  /** Prometheus metrics, when `prometheus.enabled`. */
  metrics?: LapiMetrics | undefined;
  /** profiles.yaml: decisions for alerts that come without, and their notifications. */
  profiles: ProfileRunner;
  /** The notifiers profiles name, when any is configured. */
  notifier?: NotificationDispatcher | undefined;
}
