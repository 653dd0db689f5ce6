import type { AllowlistCache } from '../engine/allowlists.js';
import type { DecisionFeed } from '../engine/decision-feed.js';
import type { ProfileRunner } from '../engine/profiles.js';
import type { LapiMetrics } from '../metrics/lapi.js';
import type { NotificationDispatcher } from '../notify/index.js';
import type { Db } from '../store/db.js';
import type { AlertCommits } from './group-commit.js';

/** What a write changed, for `settle`: decisions only, or the allowlists (and the decisions they ended). */
export type Changed = 'decisions' | 'allowlists';

/** What the use cases work with: the store, the in-memory views that follow it, and what reports on them. */
export interface UseCaseDeps {
  readonly db: Db;
  /** The in-memory decision index and what keeps it in step with the store. */
  readonly feed: DecisionFeed;
  /** The allowlists, in memory: what bouncers are not served and what alerts are dropped. */
  readonly allowlists: AllowlistCache;
  /** How long expired decisions stay available to stream deltas. */
  readonly graceMs: number;
  /** Prometheus metrics, when `prometheus.enabled`. */
  readonly metrics?: LapiMetrics | undefined;
  /** profiles.yaml: decisions for alerts that come without, and their notifications. */
  readonly profiles: ProfileRunner;
  /** The notifiers profiles name, when any is configured. */
  readonly notifier?: NotificationDispatcher | undefined;
  /** Once a write has committed: this node serves it from its next request on (other nodes within their poll). */
  readonly settle: (changed: Changed) => Promise<void>;
  /** Where alert pushes are stored: concurrent requests share transactions (usecases/group-commit.ts). */
  readonly alertCommits: AlertCommits;
}

/** `settle` over this node's two views; both reloads are single-flight, so concurrent writers share them. */
export function settler(feed: DecisionFeed, allowlists: AllowlistCache): UseCaseDeps['settle'] {
  return async (changed) => {
    // the lists first: the decisions an `org` item ended are then read with the list that ended them
    if (changed === 'allowlists') await allowlists.refresh();
    await feed.catchUp();
  };
}
