import type { Logger } from 'pino';
import type { AppDeps } from './api/deps.js';
import { JwtService, loadJwtSecret } from './auth/jwt.js';
import type { Config } from './config/schema.js';
import { DecisionFeed } from './engine/decision-feed.js';
import { startRetention } from './engine/retention-job.js';
import { openDb } from './store/db.js';

/** Expired decisions stay available to stream deltas this long: far beyond any bouncer's pull interval. */
export const STREAM_GRACE_MS = 24 * 3600 * 1000;
/** How often a node looks for decisions written by other processes (the CLI, other nodes). */
export const FEED_POLL_MS = 500;

export interface Runtime {
  deps: AppDeps;
  close(): Promise<void>;
}

/** Opens the store, loads the decision index and everything the app needs. */
export async function openRuntime(config: Config, log?: Logger, opts: { pollMs?: number } = {}): Promise<Runtime> {
  const db = await openDb(config.db);
  try {
    const jwt = new JwtService(loadJwtSecret(config.jwtSecret, config.dataDir));
    const feed = new DecisionFeed(db, { pollMs: opts.pollMs ?? FEED_POLL_MS, graceMs: STREAM_GRACE_MS, log });
    await feed.start();
    const stopRetention = startRetention(db, config, STREAM_GRACE_MS, log);
    return {
      deps: { config, db, jwt, feed, graceMs: STREAM_GRACE_MS },
      close: async () => {
        await stopRetention();
        feed.stop();
        await db.destroy();
      },
    };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}
