import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MetricsLevel } from '../config/schema.js';
import type { DecisionFeed } from '../engine/decision-feed.js';
import type { Db } from '../store/db.js';
import { registerUsageMetrics } from './usage.js';

/**
 * What `prometheus.level: aggregated` keeps, as upstream: no histogram, no gauge computed at scrape, and no
 * label that grows with the machines or bouncers. `none` exports nothing (the listener still answers).
 */
const AGGREGATED = ['cs_lapi_route_requests_total', 'cs_info', 'lapis_notifications_dropped_total'];

/**
 * Every Prometheus metric Lapis exports, with CrowdSec's names and labels (as pkg/apiserver/controllers/v1/metrics.go),
 * served on their own listener (`prometheus.listen_addr:listen_port/metrics`), as upstream.
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
    help: 'Number of calls for each machine.',
    labelNames: ['machine', 'route', 'method'],
    registers: [this.registry],
  });
  readonly bouncerRequests = new Counter({
    name: 'cs_lapi_bouncer_requests_total',
    help: 'Number of calls for each bouncer.',
    labelNames: ['bouncer', 'route', 'method'],
    registers: [this.registry],
  });
  readonly decisionsOk = new Counter({
    name: 'cs_lapi_decisions_ok_total',
    help: 'Number of non-empty answers to a decision query',
    labelNames: ['bouncer'],
    registers: [this.registry],
  });
  readonly decisionsKo = new Counter({
    name: 'cs_lapi_decisions_ko_total',
    help: 'Number of empty answers to a decision query',
    labelNames: ['bouncer'],
    registers: [this.registry],
  });
  readonly lastHeartbeat = new Gauge({
    name: 'cs_machines_last_heartbeat_timestamp',
    help: 'Last heartbeat of each machine (unix seconds)',
    labelNames: ['machine'],
    registers: [this.registry],
  });
  readonly info = new Gauge({ name: 'cs_info', help: 'Information about Lapis.', labelNames: ['version'], registers: [this.registry] });
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

  constructor(version: string, feed: DecisionFeed, db: Db, level: MetricsLevel = 'full') {
    this.info.set({ version }, 1);
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
        const rows = await db
          .selectFrom('alerts')
          .select(['scenario', (eb) => eb.fn.countAll<number>().as('n')])
          .groupBy('scenario')
          .execute();
        for (const r of rows) this.set({ reason: r.scenario }, Number(r.n));
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

  /** The separate listener; upstream serves it on 127.0.0.1:6060 by default. */
  async listen(host: string, port: number): Promise<Server> {
    const server = createServer((req, res) => {
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
    return server;
  }
}
