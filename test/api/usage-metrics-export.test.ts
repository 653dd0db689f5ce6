import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashApiKey } from '../../src/auth/api-key.js';
import { hashPassword } from '../../src/auth/password.js';
import { createBouncer } from '../../src/store/bouncers.js';
import { createMachine } from '../../src/store/machines.js';
import { startTestServer } from '../helpers/server.js';
import { agentPush, firewallBouncerPush, firewallWindow } from '../helpers/usage-payloads.js';
import { waitUntil } from '../helpers/wait.js';

const PROMETHEUS = 'prometheus:\n  enabled: true\n  listen_addr: 127.0.0.1\n  listen_port: 0\n';
const T1 = 1784990000;
const T2 = T1 + 900;

const window1 = firewallWindow({
  active: [1500, 20, 3],
  droppedBytes: [10000, 500],
  droppedPackets: [100, 5],
  processedBytes: [2000000, 30000],
  processedPackets: [20000, 300],
});
const window2 = firewallWindow({
  active: [1490, 21, 4],
  droppedBytes: [2000, 0],
  droppedPackets: [20, 0],
  processedBytes: [1000000, 0],
  processedPackets: [10000, 0],
});

function post(url: string, body: string, headers: Record<string, string>) {
  return fetch(`${url}/v1/usage-metrics`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

const bouncerHeaders = { 'x-api-key': 'fw-key-0123456789', 'user-agent': 'crowdsec-firewall-bouncer/v0.0.31-debian-pragmatic-amd64' };

/** The lines of the families whose name starts with `prefix`, sorted (prom-client's order is not a contract). */
async function scrape(metricsUrl: string, prefix: string): Promise<string[]> {
  const text = await (await fetch(metricsUrl)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .sort();
}

const fw = (metric: string, unit: string, origin: string, ip: string) =>
  `{bouncer="fw",type="crowdsec-firewall-bouncer",metric="${metric}",unit="${unit}",origin="${origin}",remediation="",ip_type="${ip}"}`;

test("cs-firewall-bouncer's pushes: counters summed over windows, gauges the latest, a resent window counted once; an agent's acquisition", async (t) => {
  const srv = await startTestServer(t, PROMETHEUS, async (db) => {
    await createBouncer(db, { name: 'fw', keyHash: hashApiKey('fw-key-0123456789') });
    await createMachine(db, { machineId: 'web-01', passwordHash: await hashPassword('a-long-password'), isValidated: true });
  });
  for (const body of [firewallBouncerPush(T1, window1), firewallBouncerPush(T2, window2), firewallBouncerPush(T2, window2)]) {
    const res = await post(srv.url, body, bouncerHeaders);
    assert.equal(res.status, 201, await res.text());
  }
  const login = await fetch(`${srv.url}/v1/watchers/login`, {
    method: 'POST',
    headers: { 'user-agent': 'crowdsec/v1.7.8' },
    body: JSON.stringify({ machine_id: 'web-01', password: 'a-long-password' }),
  });
  const { token } = (await login.json()) as { token: string };
  const agent = { authorization: `Bearer ${token}`, 'user-agent': 'crowdsec/v1.7.8' };
  assert.equal((await post(srv.url, agentPush(T1, 120, 100, 20), agent)).status, 201);
  assert.equal((await post(srv.url, agentPush(T2, 30, 25, 5), agent)).status, 201);

  assert.deepEqual(await scrape(srv.metricsUrl!, 'lapis_bouncer_usage'), [
    `lapis_bouncer_usage_latest${fw('active_decisions', 'ip', 'CAPI', 'ipv4')} 1490`,
    `lapis_bouncer_usage_latest${fw('active_decisions', 'ip', 'CAPI', 'ipv6')} 21`,
    `lapis_bouncer_usage_latest${fw('active_decisions', 'ip', 'crowdsec', 'ipv4')} 4`,
    `lapis_bouncer_usage_since_timestamp_seconds{bouncer="fw"} ${T1}`,
    `lapis_bouncer_usage_sum${fw('dropped', 'byte', 'CAPI', 'ipv4')} 12000`,
    `lapis_bouncer_usage_sum${fw('dropped', 'byte', 'crowdsec', 'ipv4')} 500`,
    `lapis_bouncer_usage_sum${fw('dropped', 'packet', 'CAPI', 'ipv4')} 120`,
    `lapis_bouncer_usage_sum${fw('dropped', 'packet', 'crowdsec', 'ipv4')} 5`,
    `lapis_bouncer_usage_sum${fw('processed', 'byte', '', 'ipv4')} 3000000`,
    `lapis_bouncer_usage_sum${fw('processed', 'byte', '', 'ipv6')} 30000`,
    `lapis_bouncer_usage_sum${fw('processed', 'packet', '', 'ipv4')} 30000`,
    `lapis_bouncer_usage_sum${fw('processed', 'packet', '', 'ipv6')} 300`,
  ]);
  const src = 'datasource_type="file",source="/var/log/auth.log",acquis_type="tail"';
  assert.deepEqual(await scrape(srv.metricsUrl!, 'lapis_agent_usage'), [
    `lapis_agent_usage_sum{machine="web-01",metric="global_parsed",unit="line",${src}} 125`,
    `lapis_agent_usage_sum{machine="web-01",metric="global_unparsed",unit="line",${src}} 25`,
    `lapis_agent_usage_sum{machine="web-01",metric="read",unit="line",${src}} 150`,
  ]);
  const text = await (await fetch(srv.metricsUrl!)).text();
  assert.ok(text.includes('# TYPE lapis_bouncer_usage_sum gauge'));

  // the scrape reads the table at most once per 5 s: a push right after shows on a later scrape
  const res = await post(srv.url, firewallBouncerPush(T2 + 900, window2), bouncerHeaders);
  assert.equal(res.status, 201);
  const cached = await scrape(srv.metricsUrl!, 'lapis_bouncer_usage_sum');
  assert.ok(cached.includes(`lapis_bouncer_usage_sum${fw('dropped', 'byte', 'CAPI', 'ipv4')} 12000`), cached.join('\n'));
  await waitUntil(
    async () =>
      (await scrape(srv.metricsUrl!, 'lapis_bouncer_usage_sum')).includes(
        `lapis_bouncer_usage_sum${fw('dropped', 'byte', 'CAPI', 'ipv4')} 14000`,
      ),
    8000,
    'the next window in the scrape',
  );
});

test('prometheus.level aggregated and none leave the per-bouncer usage families out', async (t) => {
  for (const level of ['aggregated', 'none']) {
    const srv = await startTestServer(t, `${PROMETHEUS}  level: ${level}\n`, (db) =>
      createBouncer(db, { name: 'fw', keyHash: hashApiKey('fw-key-0123456789') }),
    );
    assert.equal((await post(srv.url, firewallBouncerPush(T1, window1), bouncerHeaders)).status, 201);
    const text = await (await fetch(srv.metricsUrl!)).text();
    assert.ok(!text.includes('lapis_bouncer_usage') && !text.includes('lapis_agent_usage'), `${level}: ${text}`);
  }
});

test('a malformed usage-metrics push is refused naming the field, and nothing is stored', async (t) => {
  const srv = await startTestServer(t, PROMETHEUS, (db) => createBouncer(db, { name: 'fw', keyHash: hashApiKey('fw-key-0123456789') }));
  const good = JSON.parse(firewallBouncerPush(T1, window1)) as {
    remediation_components: { metrics: { items: Record<string, unknown>[] }[] }[];
  };
  const withItem = (change: (item: Record<string, unknown>) => void) => {
    const body = structuredClone(good);
    change(body.remediation_components[0]!.metrics[0]!.items[3]!);
    return JSON.stringify(body);
  };
  const cases: [string, number, string][] = [
    [
      withItem((i) => delete i.value),
      422,
      'validation failure list:\nremediation_components.0.metrics.0.items.3.value in body is required',
    ],
    [withItem((i) => (i.value = '12')), 400, 'remediation_components.0.metrics.0.items.3.value in body must be of type number: "string"'],
    [
      withItem((i) => (i.labels = { origin: 'x'.repeat(256) })),
      422,
      'validation failure list:\nremediation_components.0.metrics.0.items.3.labels.origin in body should be at most 255 chars long',
    ],
    ['{"remediation_components": [', 400, 'invalid JSON body: '],
  ];
  for (const [body, status, message] of cases) {
    const res = await post(srv.url, body, bouncerHeaders);
    const text = await res.text();
    assert.equal(res.status, status, text);
    assert.ok((JSON.parse(text) as { message: string }).message.startsWith(message), text);
  }
  const stored = await srv.db
    .selectFrom('metrics')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  assert.equal(Number(stored.n), 0);
  assert.deepEqual(await scrape(srv.metricsUrl!, 'lapis_bouncer_usage'), []);
});
