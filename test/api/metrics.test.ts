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
