import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MetricsLevel } from '../config/schema.js';
import { ipOrRangeOrNull, type IpRange, rangeContains } from '../domain/ip-range.js';
import type { DecisionFeed } from '../engine/decision-feed.js';
import type { Db } from '../store/db.js';
import { registerUsageMetrics } from './usage.js';
import { LAPIS_AGGREGATED, LapisMetrics, type LapisSources } from './lapis.js';

/**
 * What `prometheus.level: aggregated` keeps: of upstream's LAPI families, what its aggregated level registers
 * (pkg/metrics/metrics.go: the route counter and cs_info); of Lapis's, what is counted as it happens with no
 * label that grows with the machines or bouncers, never a gauge computed at scrape. `none` exports nothing
 * (the listener still answers).
 */
const AGGREGATED = ['cs_lapi_route_requests_total', 'cs_info', 'lapis_notifications_dropped_total', ...LAPIS_AGGREGATED];

/**
 * Every Prometheus metric Lapis exports: upstream's LAPI families with CrowdSec's names, help, labels and buckets
 * (pkg/metrics/lapi.go and global.go, counted as pkg/apiserver/controllers/v1/metrics.go does), and Lapis's own
 * (lapis.ts), served on their own listener (`prometheus.listen_addr:listen_port/metrics`), as upstream.
 */
export class LapiMetrics {
  readonly registry = new Registry();
  readonly routeRequests = new Counter({
    name: 'cs_lapi_route_requests_total',
    help: 'Number of calls to each route per method.',
    labelNames: ['route', 'method'],
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'cs_lapi_request_duration_seconds',
    help: 'Response time of LAPI',
    labelNames: ['endpoint', 'method'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1],
    registers: [this.registry],
  });
  readonly machineRequests = new Counter({
    name: 'cs_lapi_machine_requests_total',
    help: 'Number of calls to each route per method grouped by machines.',
    labelNames: ['machine', 'route', 'method'],
    registers: [this.registry],
  });
  readonly bouncerRequests = new Counter({
    name: 'cs_lapi_bouncer_requests_total',
    help: 'Number of calls to each route per method grouped by bouncers.',
    labelNames: ['bouncer', 'route', 'method'],
    registers: [this.registry],
  });
  readonly decisionsOk = new Counter({
    name: 'cs_lapi_decisions_ok_total',
    help: 'Number of calls to /decisions that returned non-nil result.',
    labelNames: ['bouncer'],
    registers: [this.registry],
  });
  readonly decisionsKo = new Counter({
    name: 'cs_lapi_decisions_ko_total',
    help: 'Number of calls to /decisions that returned nil result.',
    labelNames: ['bouncer'],
    registers: [this.registry],
  });
  readonly lastHeartbeat = new Gauge({
    name: 'cs_machines_last_heartbeat_timestamp',
    help: "Unix timestamp of a machine's last heartbeat.",
    labelNames: ['machine'],
    registers: [this.registry],
  });
  /** Upstream's help says Crowdsec: dashboards show it, and Lapis stands in for that LAPI. */
  readonly info = new Gauge({ name: 'cs_info', help: 'Information about Crowdsec.', labelNames: ['version'], registers: [this.registry] });
  /** Lapis: notifications dropped because a notifier's queue was full. */
  readonly notificationsDropped = new Counter({
    name: 'lapis_notifications_dropped_total',
    help: 'Alerts not notified because the queue was full',
    labelNames: ['notifier'],
    registers: [this.registry],
  });

  /** Lapis: alerts and decisions dropped at ingestion because an allowlist covers their value. */
  readonly allowlisted = new Counter({
    name: 'lapis_allowlisted_total',
    help: 'Alerts and decisions dropped at ingestion by an allowlist',
    labelNames: ['what', 'machine'],
    registers: [this.registry],
  });

  /** Lapis's own families (`lapis_*`): the stream pulls are counted through it. */
  readonly lapis: LapisMetrics;

  constructor(version: string, feed: DecisionFeed, db: Db, level: MetricsLevel = 'full', sources: Omit<LapisSources, 'feed' | 'db'> = {}) {
    // upstream never sets its cs_info (0); 1 is the Prometheus convention for an info metric, and no board reads the value
    this.info.set({ version }, 1);
    this.lapis = new LapisMetrics(this.registry, { ...sources, feed, db });
    new Gauge({
      name: 'cs_active_decisions',
      help: 'Number of active decisions.',
      labelNames: ['reason', 'origin', 'action'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const t of feed.index.countActive(Date.now())) {
          if (!t.simulated) this.inc({ reason: t.scenario, origin: t.origin, action: t.type }, t.count);
        }
      },
    });
    new Gauge({
      name: 'cs_alerts',
      help: 'Number of alerts (excluding CAPI).',
      labelNames: ['reason'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const r of await alertsPerScenario(db)) this.set({ reason: r.scenario }, r.count);
      },
    });
    // per-bouncer and per-machine: only `full` keeps them (the filter below)
    registerUsageMetrics(this.registry, db);
    // the others are still counted, by callers that need not know the level; they are just not exported
    if (level !== 'full') {
      const kept = level === 'aggregated' ? AGGREGATED : [];
      for (const m of this.registry.getMetricsAsArray()) if (!kept.includes(m.name)) this.registry.removeSingleMetric(m.name);
    }
  }

  /** What `instrument`'s hook counts for one bouncer query: for the fast path, which Fastify's hooks never see. */
  bouncerQuery(bouncer: string, seconds: number): void {
    const route = '/v1/decisions';
    this.routeRequests.inc({ route, method: 'GET' });
    this.requestDuration.observe({ endpoint: route, method: 'GET' }, seconds);
    this.bouncerRequests.inc({ bouncer, route, method: 'GET' });
  }

  /** Counts every request by route pattern (`invalid-endpoint` when none matched), never by raw URL. */
  instrument(app: FastifyInstance): void {
    // a callback hook: an async one costs a promise and a microtask on every request
    app.addHook('onResponse', (req, reply, done) => {
      const pattern = req.routeOptions.url;
      if (pattern === '/health') return done();
      const route = pattern ?? 'invalid-endpoint';
      this.routeRequests.inc({ route, method: req.method });
      this.requestDuration.observe({ endpoint: pattern ?? '', method: req.method }, reply.elapsedTime / 1000);
      if (req.machineId) this.machineRequests.inc({ machine: req.machineId, route, method: req.method });
      if (req.bouncer && route.startsWith('/v1/decisions'))
        this.bouncerRequests.inc({ bouncer: req.bouncer.name, route, method: req.method });
      done();
    });
  }

  /**
   * The separate listener; upstream serves it on 127.0.0.1:6060 by default. `trusted` (`prometheus.trusted_ips`,
   * a Lapis key) limits who may scrape by the peer address (forwarded headers are ignored); empty, anyone who
   * can reach the listener may, as upstream.
   */
  async listen(host: string, port: number, trusted: readonly IpRange[] = []): Promise<Server> {
    const server = createServer((req, res) => {
      if (trusted.length > 0) {
        // a link-local peer's zone (`fe80::1%eth0`) says which interface, not who
        const peer = req.socket.remoteAddress?.replace(/%.*$/, '') ?? '';
        const ip = ipOrRangeOrNull(peer);
        if (!ip || !trusted.some((r) => rangeContains(r, ip))) {
          res.writeHead(403, { 'content-type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify({ message: `access forbidden from this IP (${peer})` }));
          return;
        }
      }
      if (req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.registry
        .metrics()
        .then((body) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(body))
        .catch(() => res.writeHead(500).end());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    // the event loop is sampled only while someone can read what it shows
    this.lapis.start();
    server.once('close', () => this.lapis.stop());
    return server;
  }
}

/** Upstream's `CAPIOrigin` and `ListOrigin`, and the source scope of its community-blocklist pulls (pkg/types/constants.go). */
const CAPI_ORIGINS = ['CAPI', 'lists'];
const COMMUNITY_BLOCKLIST_SCOPE = 'crowdsecurity/community-blocklist';

/**
 * Alerts per scenario as `cs_alerts` counts them: upstream's `include_capi=false` (pkg/database/alertfilter.go)
 * leaves out alerts with a decision from CAPI or a list, and decision-less ones whose source scope is a list's
 * (`lists:…`) or the community blocklist's.
 */
async function alertsPerScenario(db: Db): Promise<{ scenario: string; count: number }[]> {
  const rows = await db
    .selectFrom('alerts as a')
    .select(['a.scenario', (eb) => eb.fn.countAll<number>().as('n')])
    .where(({ not, exists, selectFrom, or, and, eb }) => {
      const decisions = () => selectFrom('decisions as d').select('d.id').whereRef('d.alert_id', '=', 'a.id');
      return and([
        not(exists(decisions().where('d.origin', 'in', CAPI_ORIGINS))),
        not(
          and([
            not(exists(decisions())),
            or([eb('a.source_scope', 'like', 'lists:%'), eb('a.source_scope', '=', COMMUNITY_BLOCKLIST_SCOPE)]),
          ]),
        ),
      ]);
    })
    .groupBy('a.scenario')
    .execute();
  return rows.map((r) => ({ scenario: r.scenario, count: Number(r.n) }));
}
