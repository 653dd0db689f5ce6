import type { Logger } from 'pino';
import type { AppDeps } from './api/deps.js';
import { JwtService, loadJwtSecret } from './auth/jwt.js';
import { MachineSessions } from './auth/machine-session.js';
import type { Config } from './config/schema.js';
import { DecisionFeed } from './engine/decision-feed.js';
import { AllowlistCache } from './engine/allowlists.js';
import { startRetention } from './engine/retention-job.js';
import { dbLease, FeedJob } from './engine/feed-job.js';
import { blocklistFeedStore } from './usecases/blocklist-feeds.js';
import { startChangeSignals, type ChangeSignals } from './engine/change-signals.js';
import { openDb } from './store/db.js';
import { ConfigError } from './errors.js';
import { loadProfiles } from './config/profiles.js';
import { ProfileRunner } from './engine/profiles.js';
import { loadNotifiers, NotificationDispatcher, NotificationConfigError } from './notify/index.js';
import type { Profile } from './domain/profile.js';
import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { openTlsAuth } from './auth/tls.js';
import { bouncerAuthenticator } from './auth/api-key.js';
import { LapiMetrics } from './metrics/lapi.js';
import { settler } from './usecases/deps.js';
import { alertCommits } from './usecases/group-commit.js';
import { lapisVersion, userAgent } from './version.js';

/** Expired decisions stay available to stream deltas this long: far beyond any bouncer's pull interval. */
export const STREAM_GRACE_MS = 24 * 3600 * 1000;
/**
 * How often a node looks for decisions written by other processes (the CLI, other nodes): the fallback when
 * their commits are not heard at once (engine/change-signals.ts: always on MySQL, while a PostgreSQL listener is lost).
 */
export const FEED_POLL_MS = 500;

export interface Runtime {
  readonly deps: AppDeps;
  close(): Promise<void>;
}

/**
 * Notifiers from `config_paths.notification_dir`; every name a profile uses must exist. The files are read
 * only when a profile names one; otherwise the dispatcher is empty, ready for a reload that adds some.
 * Throws ConfigError.
 */
export function openNotifier(
  config: Config,
  profiles: readonly Profile[],
  log: Logger | undefined,
  env: NodeJS.ProcessEnv,
): NotificationDispatcher {
  const dir = config.notificationDir;
  const wanted = [...new Set(profiles.flatMap((p) => p.notifications))];
  if (wanted.length === 0) return new NotificationDispatcher([], { logger: log ?? pino({ enabled: false }) });
  if (!dir || !existsSync(dir)) {
    throw new ConfigError(
      `profiles: notifications ${wanted.join(', ')} are used, but config_paths.notification_dir ${dir ? `(${dir}) does not exist` : 'is not set'}`,
    );
  }
  let configs: ReturnType<typeof loadNotifiers>;
  try {
    configs = loadNotifiers(dir, { env });
  } catch (err) {
    if (err instanceof NotificationConfigError) throw new ConfigError(err.message);
    throw err;
  }
  const dispatcher = new NotificationDispatcher(configs, { logger: log ?? pino({ enabled: false }) });
  const missing = wanted.filter((n) => !dispatcher.has(n));
  if (missing.length > 0) {
    void dispatcher.close();
    throw new ConfigError(`profiles: unknown notification ${missing.map((m) => `'${m}'`).join(', ')} (not defined in ${dir})`);
  }
  return dispatcher;
}

export interface RuntimeOptions {
  /** How often the views poll for other processes' writes (FEED_POLL_MS). */
  pollMs?: number;
  /** false: hear other processes' writes by the poll alone (tests check that they otherwise arrive sooner). */
  changeSignals?: boolean;
  /** false: no background refresh of URL-fed blocklists (tests run the job themselves). */
  feeds?: boolean;
  /** How often the feed job looks for due lists (tests shorten it). */
  feedTickMs?: number;
  env?: NodeJS.ProcessEnv;
}

const NO_SIGNALS: ChangeSignals = { kind: 'none', close: async () => undefined };

/**
 * The composition root: opens the store (migrating it), loads the decision index and the allowlists, and
 * builds every dependency the apps take (TLS authentication and metrics included). Profiles, notifiers and
 * TLS files that are wrong fail here, before anything listens; whatever was opened is closed again.
 */
export async function openRuntime(config: Config, log?: Logger, opts: RuntimeOptions = {}): Promise<Runtime> {
  // profiles and notifiers fail fast, before anything is opened
  const profiles = loadProfiles(config.server.profiles_path);
  const notifier = openNotifier(config, profiles, log, opts.env ?? {});
  let db: Awaited<ReturnType<typeof openDb>>;
  try {
    db = await openDb(config.db);
  } catch (err) {
    await notifier.close();
    throw err;
  }
  try {
    // the TLS files are read first: a CA or CRL that cannot be read fails startup before the feeds run
    const tls = openTlsAuth(config, log ?? pino({ enabled: false }));
    const jwt = new JwtService(loadJwtSecret(config.jwtSecret, config.dataDir));
    const feed = new DecisionFeed(db, { pollMs: opts.pollMs ?? FEED_POLL_MS, graceMs: STREAM_GRACE_MS, log });
    await feed.start();
    const allowlists = new AllowlistCache(db, {
      pollMs: opts.pollMs ?? FEED_POLL_MS,
      graceMs: STREAM_GRACE_MS,
      log,
      lapiFilter: config.admin.lapiFilter,
    });
    try {
      await allowlists.start();
    } catch (err) {
      await feed.stop();
      throw err;
    }
    const settle = settler(feed, allowlists);
    let signals: ChangeSignals;
    try {
      // other processes' commits, heard at once where the engine can tell (the poll stays as the fallback)
      signals = opts.changeSignals === false ? NO_SIGNALS : await startChangeSignals(config.db, settle, { log });
    } catch (err) {
      await feed.stop();
      await allowlists.stop();
      throw err;
    }
    const stopRetention = startRetention(db, config, STREAM_GRACE_MS, log);
    // blocklists that follow a URL, one node at a time
    const feeds = new FeedJob({
      store: blocklistFeedStore({ db, settle }),
      fetch: { maxBytes: config.admin.feeds.maxBytes, timeoutMs: config.admin.feeds.timeoutMs, userAgent: userAgent() },
      maxEntries: config.admin.feeds.maxEntries,
      ...(opts.feedTickMs ? { tickMs: opts.feedTickMs } : {}),
      lease: dbLease(db, 'blocklist-feeds', 3 * config.admin.feeds.timeoutMs + 60_000),
      ...(log ? { log } : {}),
    });
    if (opts.feeds !== false) feeds.start();
    const commits = alertCommits(db);
    const deps: AppDeps = {
      config,
      db,
      jwt,
      sessions: new MachineSessions(db, jwt),
      tls,
      bouncerKeys: bouncerAuthenticator(db),
      feed,
      allowlists,
      settle,
      graceMs: STREAM_GRACE_MS,
      // served on their own listener by server.ts
      metrics: config.prometheus.enabled
        ? new LapiMetrics(lapisVersion(), feed, db, config.prometheus.level, { allowlists, commits })
        : undefined,
      profiles: new ProfileRunner(profiles, log),
      notifier,
      alertCommits: commits,
    };
    return {
      deps,
      close: async () => {
        await commits.idle();
        await signals.close();
        await feed.stop();
        await allowlists.stop();
        await stopRetention();
        await feeds.stop();
        await notifier.close();
        await db.destroy();
      },
    };
  } catch (err) {
    await notifier.close();
    await db.destroy();
    throw err;
  }
}
