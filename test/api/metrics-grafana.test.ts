import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { parseIpOrRange } from '../../src/domain/ip-range.js';
import { addItems } from '../../src/store/allowlist-items.js';
import { addSubscribers } from '../../src/store/allowlist-subscribers.js';
import { createAllowlist } from '../../src/store/allowlists.js';
import { addBlocklistItems, createBlocklist } from '../../src/usecases/blocklists.js';
import { cscliAlert } from '../helpers/actors.js';
import { driveTraffic } from '../helpers/lapi-traffic.js';
import { exprUse, missingFor, parseScrape, type Scrape } from '../helpers/prom-scrape.js';
import { startTestServer } from '../helpers/server.js';

interface Query {
  panel: string;
  expr: string;
  legend?: string;
}

/**
 * The PromQL of upstream's LAPI board, crowdsecurity/grafana-dashboards (commit 0d34f68),
 * `dashboards_v4/LAPI Metrics.json`: every target's expression and legend, and the board's variable query.
 * Its `machine` matchers name a label Prometheus attaches from the scrape config, not one the exporter
 * sends: the repository's README asks for `labels: {machine: '…'}` on the target (v4 and earlier boards).
 */
const LAPI_METRICS_V4: Query[] = [
  {
    panel: 'Agents Login',
    expr: 'cs_lapi_request_duration_seconds_bucket{endpoint="/v1/watchers/login", machine="$lapi"}',
    legend: '{{le}}',
  },
  { panel: 'Heartbeat', expr: 'cs_lapi_request_duration_seconds_bucket{endpoint="/v1/heartbeat",machine="$lapi"}', legend: '{{le}}' },
  {
    panel: 'Decisions GET (live)',
    expr: 'cs_lapi_request_duration_seconds_bucket{endpoint= "/v1/decisions", machine="$lapi", method=~"(GET)|(HEAD)"}',
    legend: '{{le}}',
  },
  {
    panel: 'Decisions GET (stream)',
    expr: 'cs_lapi_request_duration_seconds_bucket{endpoint= "/v1/decisions/stream", machine="$lapi", method=~"(GET)|(HEAD)"}',
    legend: '{{le}}',
  },
  {
    panel: 'Decisions DELETE',
    expr: 'cs_lapi_request_duration_seconds_bucket{endpoint=~"/v1/decisions.*", machine="$lapi", method="DELETE"}',
    legend: '{{le}}',
  },
  {
    panel: 'Alerts POST',
    expr: 'cs_lapi_request_duration_seconds_bucket{endpoint="/v1/alerts",machine="$lapi",method="POST"}',
    legend: '{{le}}',
  },
  {
    panel: 'Alerts GET',
    expr: 'cs_lapi_request_duration_seconds_bucket{endpoint="/v1/alerts",machine="$lapi",method=~"(GET)|(HEAD)"}',
    legend: '{{le}}',
  },
  { panel: 'variable lapi', expr: 'label_values(cs_info, machine)' },
];

/** The same board in `dashboards_v5/` (CrowdSec 1.5): rates summed by `le`, filtered on Prometheus's `instance`. */
const LAPI_METRICS_V5: Query[] = [
  {
    panel: 'Agents Login',
    expr: 'sum(rate(cs_lapi_request_duration_seconds_bucket{endpoint="/v1/watchers/login", instance="$lapi"}[$__rate_interval])) by (le)',
    legend: '{{le}}',
  },
  {
    panel: 'Heartbeat',
    expr: 'sum(rate(cs_lapi_request_duration_seconds_bucket{endpoint="/v1/watchers/login"}[$__rate_interval])) by (le)',
    legend: '{{le}}',
  },
  {
    panel: 'Decisions GET (live)',
    expr: 'sum(rate(cs_lapi_request_duration_seconds_bucket{endpoint= "/v1/decisions", instance="$lapi", method=~"(GET)|(HEAD)"}[$__rate_interval])) by (le)',
    legend: '{{le}}',
  },
  {
    panel: 'Decisions GET (stream)',
    expr: 'sum(rate(cs_lapi_request_duration_seconds_bucket{endpoint= "/v1/decisions/stream", instance="$lapi", method=~"(GET)|(HEAD)"}[$__rate_interval])) by (le)',
    legend: '{{le}}',
  },
  {
    panel: 'Decisions DELETE',
    expr: 'sum(rate(cs_lapi_request_duration_seconds_bucket{endpoint=~"/v1/decisions.*", instance="$lapi", method="DELETE"}[$__rate_interval])) by (le)',
    legend: '{{le}}',
  },
  {
    panel: 'Alerts POST',
    expr: 'sum(rate(cs_lapi_request_duration_seconds_bucket{endpoint="/v1/alerts",instance="$lapi",method="POST"}[$__rate_interval])) by (le)',
    legend: '{{le}}',
  },
  {
    panel: 'Alerts GET',
    expr: 'sum(rate(cs_lapi_request_duration_seconds_bucket{endpoint="/v1/alerts",instance="$lapi",method=~"(GET)|(HEAD)"}[$__rate_interval])) by (le)',
    legend: '{{le}}',
  },
  { panel: 'variable lapi', expr: 'label_values(cs_info, instance)' },
];

/** The LAPI panels of the other v4 boards (`Crowdsec Overview.json`, `Crowdsec Details per Machine.json`): decisions and alerts. */
const OTHER_V4_LAPI_PANELS: Query[] = [
  { panel: 'Overview: Decisions Count', expr: 'sum(cs_active_decisions)' },
  { panel: 'Overview: Alerts Count', expr: 'sum(cs_alerts)' },
  { panel: 'Overview: Decisions by scenario', expr: 'sum(cs_active_decisions) by (reason)', legend: '{{reason}}' },
  { panel: 'Overview: Decisions By Type', expr: 'sum(cs_active_decisions) by (action)', legend: '{{action}}' },
  { panel: 'Details per Machine: Alerts per Scenario', expr: 'cs_alerts{machine="$machine"}', legend: '{{reason}}' },
];

/** Labels Prometheus puts on every series of a target: `job` and `instance`, and the boards' `machine` (see above). */
const TARGET_LABELS = ['job', 'instance', 'machine'];

/** A Grafana dashboard's queries: every panel's (rows included) targets, and the query variables. */
export function boardQueries(board: {
  panels?: unknown[];
  templating?: { list?: { name: string; type: string; query?: unknown }[] };
}): Query[] {
  const out: Query[] = [];
  type Panel = { title?: string; panels?: Panel[]; targets?: { expr?: string; legendFormat?: string }[] };
  const walk = (ps: Panel[]) => {
    for (const p of ps) {
      if (p.panels) walk(p.panels);
      for (const t of p.targets ?? []) if (t.expr) out.push({ panel: p.title ?? '', expr: t.expr, legend: t.legendFormat ?? '' });
    }
  };
  walk((board.panels ?? []) as Panel[]);
  for (const v of board.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : (v.query as { query: string }).query;
    out.push({ panel: `variable ${v.name}`, expr: q });
  }
  return out;
}

/** What Lapis's board must show: upstream's ten LAPI families and Lapis's own. */
const BOARD_FAMILIES = [
  'cs_lapi_route_requests_total',
  'cs_lapi_machine_requests_total',
  'cs_lapi_bouncer_requests_total',
  'cs_lapi_decisions_ok_total',
  'cs_lapi_decisions_ko_total',
  'cs_lapi_request_duration_seconds',
  'cs_active_decisions',
  'cs_alerts',
  'cs_info',
  'cs_machines_last_heartbeat_timestamp',
  'lapis_stream_pulls_total',
  'lapis_alert_commit_batch_alerts',
  'lapis_decision_change_lag_seconds',
  'lapis_event_loop_delay_seconds',
  'lapis_decision_index_entries',
  'lapis_decision_index_bytes',
  'lapis_allowlist_items',
  'lapis_blocklist_items',
  'lapis_allowlisted_total',
  'lapis_notifications_dropped_total',
];

/** Counted only when a notifier's queue overflows, which this traffic has no notifier for. */
const MAY_BE_EMPTY = ['lapis_notifications_dropped_total'];

describe('Grafana boards against a scrape after real traffic', () => {
  let scrape: Scrape;
  // one server for the suite, closed after its last test
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
  before(async () => {
    const yaml = 'prometheus:\n  enabled: true\n  listen_addr: 127.0.0.1\n  listen_port: 0\n';
    // an allowlist the agent is subscribed to, and a blocklist: their families then have series
    const srv = await startTestServer({ after: (fn: () => unknown) => cleanups.push(fn) }, yaml, async (db) => {
      const list = await createAllowlist(db, 'office', '');
      const actor = { source_type: 'user', identifier: 'test' } as const;
      await addItems(db, list.id, { values: ['192.0.2.128/25'], description: '', expiresAt: null, actor });
      await addSubscribers(db, list.id, 'engine', ['web-01']);
      const bl = await createBlocklist({ db }, { name: 'bad', label: '', description: '', references: [], tags: [], feed: null });
      await addBlocklistItems({ db }, bl.id, [parseIpOrRange('203.0.113.0/24')], null);
    });
    const { token } = await driveTraffic(srv);
    const dropped = await fetch(`${srv.url}/v1/alerts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ ...cscliAlert('192.0.2.200'), decisions: [] }]),
    });
    assert.equal(await dropped.text(), '[]');
    scrape = parseScrape(await (await fetch(srv.metricsUrl!)).text());
  });

  for (const [board, queries] of [
    ['LAPI Metrics (v4)', LAPI_METRICS_V4],
    ['LAPI Metrics (v5)', LAPI_METRICS_V5],
    ['Overview and Details per Machine (v4, their LAPI panels)', OTHER_V4_LAPI_PANELS],
  ] as const) {
    test(`upstream's ${board}: every metric and label its queries use is scraped`, () => {
      for (const q of queries) assert.deepEqual(missingFor(scrape, q.expr, q.legend, TARGET_LABELS), [], `${q.panel}: ${q.expr}`);
    });
  }

  test("docs/grafana/lapis.json: a dashboard over a ${DS_PROMETHEUS} input, each query's metrics and labels scraped", () => {
    const board = JSON.parse(readFileSync(new URL('../../../docs/grafana/lapis.json', import.meta.url), 'utf8'));
    assert.deepEqual(
      board.__inputs.map((i: { name: string; type: string; pluginId: string }) => [i.name, i.type, i.pluginId]),
      [['DS_PROMETHEUS', 'datasource', 'prometheus']],
    );
    assert.ok(board.schemaVersion >= 36, `schemaVersion ${board.schemaVersion}`);
    const queries = boardQueries(board);
    assert.ok(queries.length >= 20, `${queries.length} queries`);
    const metrics = new Set(queries.flatMap((q) => exprUse(q.expr).selectors.map((s) => s.metric.replace(/_(bucket|sum|count)$/, ''))));
    assert.deepEqual(
      BOARD_FAMILIES.filter((f) => !metrics.has(f)),
      [],
      'families without a panel',
    );
    for (const q of queries) {
      assert.deepEqual(missingFor(scrape, q.expr, q.legend, ['job', 'instance'], MAY_BE_EMPTY), [], `${q.panel}: ${q.expr}`);
    }
    // every panel and query reads the board's datasource input, never one of its author's
    type Node = { datasource?: unknown; panels?: Node[]; targets?: Node[] };
    const walk = (ns: Node[]): unknown[] =>
      ns.flatMap((n) => [...(n.datasource ? [n.datasource] : []), ...walk(n.panels ?? []), ...walk(n.targets ?? [])]);
    const sources = [...walk(board.panels), ...board.templating.list.map((v: Node) => v.datasource)];
    assert.ok(sources.length > queries.length);
    for (const d of sources) assert.deepEqual(d, { type: 'prometheus', uid: '${DS_PROMETHEUS}' });
  });

  test('the checker itself: a family, a label or a route the scrape lacks is reported', () => {
    assert.deepEqual(missingFor(scrape, 'sum(rate(cs_lapi_nothing_total[5m])) by (route)', '', TARGET_LABELS), [
      'cs_lapi_nothing_total: no such series',
    ]);
    assert.deepEqual(missingFor(scrape, 'cs_alerts{scenario="x"}', '', TARGET_LABELS), [
      'cs_alerts: no label scenario',
      'cs_alerts: no series matches {scenario="x"}',
    ]);
    assert.deepEqual(missingFor(scrape, 'cs_lapi_route_requests_total{route="/v1/never"}', '{{route}}', TARGET_LABELS), [
      'cs_lapi_route_requests_total: no series matches {route="/v1/never"}',
    ]);
    assert.deepEqual(missingFor(scrape, 'sum(cs_active_decisions) by (scenario)', '{{bouncer}}', TARGET_LABELS), [
      'label bouncer (grouping or legend) is on none of cs_active_decisions',
      'label scenario (grouping or legend) is on none of cs_active_decisions',
    ]);
    // a family declared but never counted passes only where the caller says it may be empty
    const empty = 'rate(lapis_notifications_dropped_total[5m])';
    assert.deepEqual(missingFor(scrape, empty), ['lapis_notifications_dropped_total: no such series']);
    assert.deepEqual(missingFor(scrape, empty, '', [], ['lapis_notifications_dropped_total']), []);
  });
});
