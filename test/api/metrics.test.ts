import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashApiKey } from '../../src/auth/api-key.js';
import { hashPassword } from '../../src/auth/password.js';
import { createBouncer } from '../../src/store/bouncers.js';
import { createMachine } from '../../src/store/machines.js';
import { addItems } from '../../src/store/allowlist-items.js';
import { addSubscribers } from '../../src/store/allowlist-subscribers.js';
import { createAllowlist } from '../../src/store/allowlists.js';
import { cscliAlert } from '../helpers/actors.js';
import { driveTraffic } from '../helpers/lapi-traffic.js';
import { parseScrape } from '../helpers/prom-scrape.js';
import { startTestServer } from '../helpers/server.js';

test('Prometheus metrics on their own listener, with CrowdSec names and route patterns as labels', async (t) => {
  const srv = await startTestServer(t, 'prometheus:\n  enabled: true\n  listen_addr: 127.0.0.1\n  listen_port: 0\n');
  assert.ok(srv.metricsUrl);
  await createMachine(srv.db, { machineId: 'm', passwordHash: await hashPassword('pw'), isValidated: true });
  await createBouncer(srv.db, { name: 'fw', keyHash: hashApiKey('k') });
  const login = await fetch(`${srv.url}/v1/watchers/login`, {
    method: 'POST',
    headers: { 'user-agent': 't/1' },
    body: '{"machine_id":"m","password":"pw"}',
  });
  const { token } = (await login.json()) as { token: string };
  await fetch(`${srv.url}/v1/alerts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify([cscliAlert('192.0.2.1')]),
  });
  await fetch(`${srv.url}/v1/heartbeat`, { headers: { authorization: `Bearer ${token}` } });
  await fetch(`${srv.url}/v1/decisions?ip=192.0.2.1`, { headers: { 'x-api-key': 'k' } });
  await fetch(`${srv.url}/v1/decisions?ip=192.0.2.2`, { headers: { 'x-api-key': 'k' } });
  await fetch(`${srv.url}/v1/nothing-here`);
  await fetch(`${srv.url}/health`);
  const text = await (await fetch(srv.metricsUrl!)).text();
  for (const line of [
    'cs_lapi_route_requests_total{route="/v1/watchers/login",method="POST"} 1',
    'cs_lapi_route_requests_total{route="/v1/decisions",method="GET"} 2',
    'cs_lapi_route_requests_total{route="invalid-endpoint",method="GET"} 1',
    'cs_lapi_machine_requests_total{machine="m",route="/v1/alerts",method="POST"} 1',
    'cs_lapi_bouncer_requests_total{bouncer="fw",route="/v1/decisions",method="GET"} 2',
    'cs_lapi_decisions_ok_total{bouncer="fw"} 1',
    'cs_lapi_decisions_ko_total{bouncer="fw"} 1',
    `cs_active_decisions{reason="manual 'ban' from 'web-01'",origin="cscli",action="ban"} 1`,
    `cs_alerts{reason="manual 'ban' from 'web-01'"} 1`,
  ]) {
    assert.ok(text.includes(line), `missing: ${line}`);
  }
  assert.match(text, /cs_machines_last_heartbeat_timestamp\{machine="m"\} \d+/);
  assert.match(text, /cs_lapi_request_duration_seconds_bucket\{le="0.005",endpoint="\/v1\/decisions",method="GET"\} \d/);
  assert.match(text, /cs_info\{version="[^"]+"\} 1/);
  assert.ok(!text.includes('/health'));
  assert.equal((await fetch(srv.metricsUrl!.replace('/metrics', '/other'))).status, 404);
});

test('alerts dropped by an allowlist are counted', async (t) => {
  // the allowlist is in the store before the server starts: its first load has it
  const srv = await startTestServer(t, 'prometheus:\n  enabled: true\n  listen_addr: 127.0.0.1\n  listen_port: 0\n', async (db) => {
    await createMachine(db, { machineId: 'm', passwordHash: await hashPassword('pw'), isValidated: true });
    const list = await createAllowlist(db, 'office', '');
    await addItems(db, list.id, {
      values: ['192.0.2.0/24'],
      description: '',
      expiresAt: null,
      actor: { source_type: 'user', identifier: 'test' },
    });
    await addSubscribers(db, list.id, 'engine', ['m']);
  });
  const login = await fetch(`${srv.url}/v1/watchers/login`, {
    method: 'POST',
    headers: { 'user-agent': 't/1' },
    body: '{"machine_id":"m","password":"pw"}',
  });
  const { token } = (await login.json()) as { token: string };
  const agentAlert = { ...cscliAlert('192.0.2.1'), decisions: [] };
  const pushed = await fetch(`${srv.url}/v1/alerts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify([agentAlert, agentAlert]),
  });
  assert.equal(await pushed.text(), '[]');
  const text = await (await fetch(srv.metricsUrl!)).text();
  assert.ok(
    text.includes('lapis_allowlisted_total{what="alert",machine="m"} 2'),
    text
      .split('\n')
      .filter((l) => l.includes('allowlisted'))
      .join('\n'),
  );
});

/** Upstream's LAPI families as pkg/metrics/lapi.go and global.go define them: type, help, label names. */
const UPSTREAM_FAMILIES: { name: string; type: string; help: string; labels: string[] }[] = [
  { name: 'cs_lapi_route_requests_total', type: 'counter', help: 'Number of calls to each route per method.', labels: ['method', 'route'] },
  {
    name: 'cs_lapi_machine_requests_total',
    type: 'counter',
    help: 'Number of calls to each route per method grouped by machines.',
    labels: ['machine', 'method', 'route'],
  },
  {
    name: 'cs_lapi_bouncer_requests_total',
    type: 'counter',
    help: 'Number of calls to each route per method grouped by bouncers.',
    labels: ['bouncer', 'method', 'route'],
  },
  {
    name: 'cs_lapi_decisions_ok_total',
    type: 'counter',
    help: 'Number of calls to /decisions that returned non-nil result.',
    labels: ['bouncer'],
  },
  {
    name: 'cs_lapi_decisions_ko_total',
    type: 'counter',
    help: 'Number of calls to /decisions that returned nil result.',
    labels: ['bouncer'],
  },
  { name: 'cs_lapi_request_duration_seconds', type: 'histogram', help: 'Response time of LAPI', labels: ['endpoint', 'method'] },
  { name: 'cs_active_decisions', type: 'gauge', help: 'Number of active decisions.', labels: ['action', 'origin', 'reason'] },
  { name: 'cs_alerts', type: 'gauge', help: 'Number of alerts (excluding CAPI).', labels: ['reason'] },
  { name: 'cs_info', type: 'gauge', help: 'Information about Crowdsec.', labels: ['version'] },
  {
    name: 'cs_machines_last_heartbeat_timestamp',
    type: 'gauge',
    help: "Unix timestamp of a machine's last heartbeat.",
    labels: ['machine'],
  },
];

test("upstream's LAPI families after real traffic: type, help, label names and the duration buckets, as upstream", async (t) => {
  const srv = await startTestServer(t, 'prometheus:\n  enabled: true\n  listen_addr: 127.0.0.1\n  listen_port: 0\n');
  await driveTraffic(srv);
  const scrape = parseScrape(await (await fetch(srv.metricsUrl!)).text());
  for (const f of UPSTREAM_FAMILIES) {
    const got = scrape.get(f.name);
    assert.ok(got, `missing family ${f.name}`);
    assert.deepEqual({ type: got.type, help: got.help }, { type: f.type, help: f.help }, f.name);
    const main = got.series.filter((s) => s.name === f.name || s.name === `${f.name}_count`);
    assert.ok(main.length > 0, `${f.name}: no series after the traffic`);
    for (const s of main) assert.deepEqual(Object.keys(s.labels).sort(), f.labels, `${f.name}: ${JSON.stringify(s.labels)}`);
  }
  // pkg/metrics/lapi.go LapiResponseTime's buckets, and +Inf
  const les = scrape
    .get('cs_lapi_request_duration_seconds')!
    .series.filter((s) => s.name.endsWith('_bucket') && s.labels.endpoint === '/v1/decisions' && s.labels.method === 'GET')
    .map((s) => s.labels.le);
  assert.deepEqual(les, ['0.005', '0.01', '0.025', '0.05', '0.075', '0.1', '0.2', '0.3', '0.4', '0.5', '0.75', '1', '+Inf']);
  // upstream's machine middleware runs behind the JWT check: login and register are not a machine's requests
  const machineRoutes = scrape.get('cs_lapi_machine_requests_total')!.series.map((s) => `${s.labels.method} ${s.labels.route}`);
  assert.deepEqual(machineRoutes.sort(), ['DELETE /v1/decisions', 'GET /v1/alerts', 'GET /v1/heartbeat', 'POST /v1/alerts']);
  const bouncerRoutes = scrape.get('cs_lapi_bouncer_requests_total')!.series.map((s) => `${s.labels.method} ${s.labels.route}`);
  assert.deepEqual(bouncerRoutes.sort(), ['GET /v1/decisions', 'GET /v1/decisions/stream']);
  // an unmatched request: route `invalid-endpoint`, and an empty endpoint in the histogram (gin's empty FullPath)
  assert.ok(scrape.get('cs_lapi_route_requests_total')!.series.some((s) => s.labels.route === 'invalid-endpoint'));
  assert.ok(scrape.get('cs_lapi_request_duration_seconds')!.series.some((s) => s.name.endsWith('_count') && s.labels.endpoint === ''));
});

test('cs_alerts leaves out alerts of CAPI and list decisions, as upstream include_capi=false', async (t) => {
  const srv = await startTestServer(t, 'prometheus:\n  enabled: true\n  listen_addr: 127.0.0.1\n  listen_port: 0\n');
  const { token } = await driveTraffic(srv);
  const pushed = await fetch(`${srv.url}/v1/alerts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify([
      cscliAlert('203.0.113.1', { origin: 'CAPI', scenario: 'from-capi' }),
      cscliAlert('203.0.113.2', { origin: 'lists', scenario: 'from-a-list' }),
      cscliAlert('203.0.113.3', { origin: 'crowdsec', scenario: 'from-an-agent' }),
      // decision-less alerts of a list's or the community blocklist's scope
      { ...cscliAlert('203.0.113.4', { scenario: 'list-scoped' }), decisions: [], source: { scope: 'lists:firehol', value: 'firehol' } },
      {
        ...cscliAlert('203.0.113.5', { scenario: 'community-scoped' }),
        decisions: [],
        source: { scope: 'crowdsecurity/community-blocklist', value: 'x' },
      },
      { ...cscliAlert('203.0.113.6', { scenario: 'no-decision' }), decisions: [] },
    ]),
  });
  assert.equal(pushed.status, 201, await pushed.text());
  const alerts = parseScrape(await (await fetch(srv.metricsUrl!)).text()).get('cs_alerts')!;
  const counted = Object.fromEntries(alerts.series.map((s) => [s.labels.reason, true]));
  assert.deepEqual(
    Object.fromEntries(
      ['from-capi', 'from-a-list', 'from-an-agent', 'list-scoped', 'community-scoped', 'no-decision'].map((r) => [r, r in counted]),
    ),
    {
      'from-capi': false,
      'from-a-list': false,
      'from-an-agent': true,
      'list-scoped': false,
      'community-scoped': false,
      'no-decision': true,
    },
  );
});
