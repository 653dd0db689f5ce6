import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Db } from '../store/db.js';
import { releaseLease, tryLease } from '../store/leases.js';
import { flushUsageMetrics } from '../store/usage-metrics.js';
import { purgeExpiredItems } from '../store/allowlist-items.js';
import {
  autodeleteBouncers,
  autodeleteMachines,
  flushAlerts,
  purgeDetachedDecisions,
  purgeExpiredBlocklistItems,
} from '../store/retention.js';

/** As upstream, the flush runs every minute. */
export const RETENTION_EVERY_MS = 60_000;

export interface RetentionReport {
  alerts: number;
  decisions: number;
  bouncers: number;
  machines: number;
  metrics: number;
  allowlistItems: number;
  blocklistItems: number;
}

/** One pass of `db_config.flush`, plus the purge of expired decisions every stream has had time to see. */
export async function runRetention(db: Db, config: Config, graceMs: number, now = Date.now()): Promise<RetentionReport> {
  const r = config.retention;
  const report: RetentionReport = { alerts: 0, decisions: 0, bouncers: 0, machines: 0, metrics: 0, allowlistItems: 0, blocklistItems: 0 };
  if (r.alerts) report.alerts = await flushAlerts(db, r.alerts, now);
  const b = r.bouncersAutodeleteMs;
  if (b.apiKey !== null) report.bouncers += await autodeleteBouncers(db, 'api-key', now - b.apiKey);
  if (b.cert !== null) report.bouncers += await autodeleteBouncers(db, 'tls', now - b.cert);
  const a = r.agentsAutodeleteMs;
  if (a.password !== null) report.machines += await autodeleteMachines(db, 'password', now - a.password);
  if (a.cert !== null) report.machines += await autodeleteMachines(db, 'tls', now - a.cert);
  report.decisions = await purgeDetachedDecisions(db, now - graceMs);
  // expired items are hidden at once; their rows go once every stream has had time to hear of the expiry
  report.allowlistItems = await purgeExpiredItems(db, now - graceMs);
  report.blocklistItems = await purgeExpiredBlocklistItems(db, now - graceMs);
  report.metrics = await flushUsageMetrics(db, now - r.metricsMaxAgeMs);
  return report;
}

/** A node holds the retention lease for this long; it renews it at every pass. */
const LEASE_MS = 3 * RETENTION_EVERY_MS;

/**
 * Runs retention in the background, one pass at a time and on one node at a time (a database lease);
 * requests are never made to wait for it. Returns a stop function.
 */
export function startRetention(db: Db, config: Config, graceMs: number, log?: Logger): () => Promise<void> {
  const holder = crypto.randomUUID();
  let running = false;
  let current: Promise<void> | undefined;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      if (!(await tryLease(db, 'retention', holder, LEASE_MS))) return;
      const r = await runRetention(db, config, graceMs);
      if (r.alerts + r.decisions + r.bouncers + r.machines + r.metrics + r.allowlistItems > 0) log?.info(r, 'retention pass');
    } catch (err) {
      log?.error({ err }, 'retention pass failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => {
    current = tick();
  }, RETENTION_EVERY_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    // a pass in flight finishes before the store closes
    await current;
    await releaseLease(db, 'retention', holder).catch(() => undefined);
  };
}
