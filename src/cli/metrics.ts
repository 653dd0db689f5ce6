import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Config } from '../config/schema.js';
import type { BouncerUsage } from '../domain/usage-metrics.js';
import { isGaugeName } from '../domain/usage-metrics.js';
import { ExpositionError, parseExposition, type Sample } from '../metrics/exposition.js';
import { boolFlag, stringFlag, type LeafCommand } from './args.js';
import { CliError } from './context.js';
import type { Printer } from './output.js';
import { bouncerUsageJson, printBouncerUsage } from './usage-table.js';

/**
 * `lapis metrics`: cscli's `metrics` for the Local API side, read from the server's Prometheus endpoint
 * (climetrics/store.go): route, machine and bouncer requests, live-mode answers, active decisions, alerts,
 * and the bouncers' usage metrics (src/metrics/usage.ts). Unlike cscli, a server that cannot be read is an
 * error (one line, exit 1), not a warning over empty tables.
 */

const TIMEOUT_MS = 10_000;
/** A scrape is a few hundred kilobytes at most; past this it is not a Lapis endpoint. */
const MAX_BYTES = 64 * 1024 * 1024;

/** The endpoint from the config: `prometheus.listen_addr:listen_port`, a wildcard address read through loopback. */
export function metricsUrl(config: Config): string {
  if (!config.prometheus.enabled) throw new CliError("prometheus is not enabled, can't show metrics");
  let host = config.prometheus.listen_addr;
  if (host === '' || host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '::') host = '::1';
  if (host.includes(':')) host = `[${host}]`;
  return `http://${host}:${config.prometheus.listen_port}/metrics`;
}

/** GETs the exposition text. Throws CliError `cannot reach the metrics endpoint URL: why`, or naming a status that is not 200. */
export function fetchMetricsText(url: string, timeoutMs = TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => reject(new CliError(`cannot reach the metrics endpoint ${url}: ${why.split('\n')[0]!}`));
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return fail('invalid URL');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return fail(`unsupported scheme ${u.protocol}`);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: 'GET', agent: false });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs / 1000}s`)), timeoutMs);
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        clearTimeout(timer);
        res.resume();
        return reject(new CliError(`the metrics endpoint ${url} answered ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd()));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BYTES) req.destroy(new Error(`more than ${MAX_BYTES / 2 ** 20} MiB`));
        else chunks.push(c);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
      res.on('error', (err) => fail(err.message));
    });
    req.on('error', (err: Error & { code?: string; errors?: Error[] }) => {
      clearTimeout(timer);
      // a name with several addresses fails with an AggregateError and no message
      fail(err.message || err.errors?.[0]?.message || err.code || String(err));
    });
    req.end();
  });
}

type Nested<T> = Record<string, T>;

/** cscli's sections for the Local API, under its JSON keys; counts truncated to integers as cscli does. */
export interface LapiMetricsTables {
  alerts: Nested<number>;
  bouncers: Nested<Nested<Nested<Nested<number>>>>;
  decisions: Nested<Nested<Nested<number>>>;
  lapi: Nested<Nested<number>>;
  'lapi-bouncer': Nested<Nested<Nested<number>>>;
  'lapi-decisions': Nested<{ NonEmpty: number; Empty: number }>;
  'lapi-machine': Nested<Nested<Nested<number>>>;
}

export interface LapiMetricsView {
  tables: LapiMetricsTables;
  /** The bouncer usage families read back, for the human tables (they keep the remediation label). */
  usage: BouncerUsage[];
}

function add(obj: Record<string, unknown>, path: string[], value: number): void {
  let o = obj;
  for (const k of path.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
  const last = path[path.length - 1]!;
  o[last] = ((o[last] as number | undefined) ?? 0) + value;
}

function usageFrom(samples: readonly Sample[]): BouncerUsage[] {
  const by = new Map<string, BouncerUsage>();
  const get = (bouncer: string) => {
    let u = by.get(bouncer);
    if (!u) by.set(bouncer, (u = { bouncer, type: '', since: 0, series: [] }));
    return u;
  };
  for (const s of samples) {
    const l = s.labels;
    if (s.name === 'lapis_bouncer_usage_since_timestamp_seconds') get(l.bouncer ?? '').since = s.value;
    else if (s.name === 'lapis_bouncer_usage_sum' || s.name === 'lapis_bouncer_usage_latest') {
      const u = get(l.bouncer ?? '');
      u.type = l.type ?? '';
      const name = l.metric ?? '';
      u.series.push({
        name,
        unit: l.unit ?? '',
        origin: l.origin ?? '',
        remediation: l.remediation ?? '',
        ipType: l.ip_type ?? '',
        value: s.value,
        gauge: isGaugeName(name),
      });
    }
  }
  return [...by.values()].filter((u) => u.series.length > 0).sort((a, b) => (a.bouncer < b.bouncer ? -1 : 1));
}

/** The tables of a scrape, as climetrics/store.go's processPrometheusMetrics files the `cs_` samples. */
export function lapiMetricsView(samples: readonly Sample[]): LapiMetricsView {
  const t: LapiMetricsTables = {
    alerts: {},
    bouncers: {},
    decisions: {},
    lapi: {},
    'lapi-bouncer': {},
    'lapi-decisions': {},
    'lapi-machine': {},
  };
  for (const s of samples) {
    const l = s.labels;
    const v = Math.trunc(s.value);
    switch (s.name) {
      case 'cs_lapi_route_requests_total':
        add(t.lapi, [l.route ?? '', l.method ?? ''], v);
        break;
      case 'cs_lapi_machine_requests_total':
        add(t['lapi-machine'], [l.machine ?? '', l.route ?? '', l.method ?? ''], v);
        break;
      case 'cs_lapi_bouncer_requests_total':
        add(t['lapi-bouncer'], [l.bouncer ?? '', l.route ?? '', l.method ?? ''], v);
        break;
      case 'cs_lapi_decisions_ok_total':
      case 'cs_lapi_decisions_ko_total': {
        const b = (t['lapi-decisions'][l.bouncer ?? ''] ??= { NonEmpty: 0, Empty: 0 });
        if (s.name === 'cs_lapi_decisions_ok_total') b.NonEmpty += v;
        else b.Empty += v;
        break;
      }
      case 'cs_active_decisions':
        add(t.decisions, [l.reason ?? '', l.origin ?? '', l.action ?? ''], v);
        break;
      case 'cs_alerts':
        add(t.alerts, [l.reason ?? ''], v);
        break;
    }
  }
  const usage = usageFrom(samples);
  t.bouncers = bouncerUsageJson(usage);
  return { tables: t, usage };
}

const sorted = <T>(o: Record<string, T>) =>
  Object.keys(o)
    .sort()
    .map((k) => [k, o[k]!] as const);
const hits = (n: number) => (n !== 0 ? String(n) : '-');

/** Three-level tables (machine or bouncer, route, method): cscli's lapiMetricsToTable, sorted. */
function perClient(t: Nested<Nested<Nested<number>>>): string[][] {
  return sorted(t).flatMap(([who, routes]) =>
    sorted(routes).flatMap(([route, methods]) => sorted(methods).map(([m, n]) => [who, route, m, hits(n)])),
  );
}

/** The human tables in cscli's order (its section keys sorted); empty ones left out. */
export function printLapiMetrics(out: Printer, { tables: t, usage }: LapiMetricsView, withUnit = true): void {
  const table = (title: string, header: string[], rows: string[][]) => {
    if (rows.length > 0) out.table(header, rows, title);
  };
  table(
    'Local API Alerts',
    ['Reason', 'Count'],
    sorted(t.alerts).map(([r, n]) => [r, String(n)]),
  );
  for (const u of usage) printBouncerUsage(out, u, withUnit);
  table(
    'Local API Decisions',
    ['Reason', 'Origin', 'Action', 'Count'],
    sorted(t.decisions).flatMap(([r, origins]) =>
      sorted(origins).flatMap(([o, actions]) => sorted(actions).map(([a, n]) => [r, o, a, String(n)])),
    ),
  );
  table(
    'Local API Metrics',
    ['Route', 'Method', 'Hits'],
    sorted(t.lapi).flatMap(([route, methods]) => sorted(methods).map(([m, n]) => [route, m, String(n)])),
  );
  table('Local API Bouncers Metrics', ['Bouncer', 'Route', 'Method', 'Hits'], perClient(t['lapi-bouncer']));
  table(
    'Local API Bouncers Decisions',
    ['Bouncer', 'Empty answers', 'Non-empty answers'],
    sorted(t['lapi-decisions']).map(([b, d]) => [b, String(d.Empty), String(d.NonEmpty)]),
  );
  table('Local API Machines Metrics', ['Machine', 'Route', 'Method', 'Hits'], perClient(t['lapi-machine']));
}

/** Scrapes `url` and returns the tables. Throws CliError when it cannot be read or is not the text format. */
export async function readLapiMetrics(url: string, timeoutMs = TIMEOUT_MS): Promise<LapiMetricsView> {
  const text = await fetchMetricsText(url, timeoutMs);
  try {
    return lapiMetricsView(parseExposition(text).samples);
  } catch (err) {
    if (err instanceof ExpositionError)
      throw new CliError(`the metrics endpoint ${url} did not answer in the Prometheus text format: ${err.message}`);
    throw err;
  }
}

export const metricsCommand: LeafCommand = {
  name: 'metrics',
  summary: 'Display the Local API metrics',
  description:
    "Read the server's Prometheus endpoint (prometheus.listen_addr:listen_port in the config, or --url) and print cscli's Local API tables: route, machine and bouncer requests, live-mode answers, active decisions, alerts, and the usage metrics bouncers push. Empty tables are left out; -o json prints every table.",
  examples: ['lapis metrics', 'lapis metrics --url http://127.0.0.1:6060/metrics -o json'],
  flags: {
    url: {
      type: 'string',
      short: 'u',
      description: 'Prometheus url (http://<ip>:<port>/metrics); the config is not read then',
      valueName: 'string',
    },
    'no-unit': { type: 'boolean', description: 'Show the real number instead of formatted with units' },
  },
  args: { min: 0, max: 0 },
  async run(ctx, _args, flags) {
    if (ctx.out.format === 'raw') throw new CliError("output format 'raw' not supported for this command");
    const url = stringFlag(flags, 'url') ?? metricsUrl(ctx.config());
    const view = await readLapiMetrics(url);
    if (ctx.out.format === 'json') return ctx.out.json(view.tables);
    printLapiMetrics(ctx.out, view, !boolFlag(flags, 'no-unit'));
  },
};
