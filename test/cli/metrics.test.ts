import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { hashApiKey } from '../../src/auth/api-key.js';
import { hashPassword } from '../../src/auth/password.js';
import { fetchMetricsText } from '../../src/cli/metrics.js';
import { createBouncer } from '../../src/store/bouncers.js';
import { createMachine } from '../../src/store/machines.js';
import { cscliAlert } from '../helpers/actors.js';
import { startTestServer } from '../helpers/server.js';
import { firewallBouncerPush, firewallWindow } from '../helpers/usage-payloads.js';
import { cli, cliEnv, runMain } from './helpers.js';

const PROMETHEUS = 'prometheus:\n  enabled: true\n  listen_addr: 127.0.0.1\n  listen_port: 0\n';
const T1 = 1784990000;

/** A controlled run: an agent logs in and pushes one alert, a bouncer asks twice (one hit), then pushes usage twice. */
async function trafficServer(t: Parameters<typeof startTestServer>[0]) {
  const srv = await startTestServer(t, PROMETHEUS, async (db) => {
    await createMachine(db, { machineId: 'web-01', passwordHash: await hashPassword('a-long-password'), isValidated: true });
    await createBouncer(db, { name: 'fw', keyHash: hashApiKey('fw-key-0123456789') });
  });
  const login = await fetch(`${srv.url}/v1/watchers/login`, {
    method: 'POST',
    headers: { 'user-agent': 'crowdsec/v1.7.8' },
    body: JSON.stringify({ machine_id: 'web-01', password: 'a-long-password' }),
  });
  const { token } = (await login.json()) as { token: string };
  const alert = await fetch(`${srv.url}/v1/alerts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify([cscliAlert('192.0.2.1')]),
  });
  assert.equal(alert.status, 201);
  const bouncer = { 'x-api-key': 'fw-key-0123456789', 'user-agent': 'crowdsec-firewall-bouncer/v0.0.31' };
  await (await fetch(`${srv.url}/v1/decisions?ip=192.0.2.1`, { headers: bouncer })).text();
  await (await fetch(`${srv.url}/v1/decisions?ip=192.0.2.2`, { headers: bouncer })).text();
  const w = (n: number) =>
    firewallWindow({
      active: [1500 + n, 20, 3],
      droppedBytes: [10000, 500],
      droppedPackets: [100, 5],
      processedBytes: [1500000, 15000],
      processedPackets: [20000, 300],
    });
  for (const [at, items] of [
    [T1, w(0)],
    [T1 + 900, w(1)],
  ] as const) {
    const res = await fetch(`${srv.url}/v1/usage-metrics`, { method: 'POST', headers: bouncer, body: firewallBouncerPush(at, items) });
    assert.equal(res.status, 201);
  }
  return srv;
}

test("lapis metrics: cscli's Local API tables from the server's endpoint, human and json", async (t) => {
  const srv = await trafficServer(t);
  const human = await cli(null, ['metrics', '--url', srv.metricsUrl!]);
  assert.equal(human.stderr, '');
  assert.equal(human.code, 0);
  const reason = "manual 'ban' from 'web-01'";
  const r = (n: number) => '─'.repeat(n);
  assert.equal(
    human.stdout,
    [
      ' Local API Alerts',
      r(35),
      ' Reason                      Count',
      r(35),
      ` ${reason}  1`,
      r(35),
      ' Bouncer Metrics (fw) since 2026-07-25 14:33:20 +0000 UTC',
      r(128),
      ' Origin                      active_decisions (IPs)  dropped (bytes)  dropped (packets)  processed (bytes)  processed (packets)',
      r(128),
      ' CAPI (community blocklist)  1.52k                   20.00k           200                -                  -',
      ' crowdsec (security engine)  3                       1.00k            10                 -                  -',
      ' Total                       1.52k                   21.00k           210                3.03M              40.60k',
      r(128),
      ' Local API Decisions',
      r(51),
      ' Reason                      Origin  Action  Count',
      r(51),
      ` ${reason}  cscli   ban     1`,
      r(51),
      ' Local API Metrics',
      r(34),
      ' Route               Method  Hits',
      r(34),
      ' /v1/alerts          POST    1',
      ' /v1/decisions       GET     2',
      ' /v1/usage-metrics   POST    2',
      ' /v1/watchers/login  POST    1',
      r(34),
      ' Local API Bouncers Metrics',
      r(38),
      ' Bouncer  Route          Method  Hits',
      r(38),
      ' fw       /v1/decisions  GET     2',
      r(38),
      ' Local API Bouncers Decisions',
      r(43),
      ' Bouncer  Empty answers  Non-empty answers',
      r(43),
      ' fw       1              1',
      r(43),
      ' Local API Machines Metrics',
      r(35),
      ' Machine  Route       Method  Hits',
      r(35),
      ' web-01   /v1/alerts  POST    1',
      r(35),
      '',
    ].join('\n'),
  );

  const noUnit = await cli(null, ['metrics', '-u', srv.metricsUrl!, '--no-unit']);
  assert.ok(
    noUnit.stdout.includes(
      ' Total                       1524                    21000            210                3030000            40600\n',
    ),
    noUnit.stdout,
  );

  const json = await cli(null, ['metrics', '--url', srv.metricsUrl!, '-o', 'json']);
  assert.equal(json.code, 0);
  assert.deepEqual(JSON.parse(json.stdout), {
    alerts: { [reason]: 1 },
    bouncers: {
      fw: {
        '': { processed: { byte: 3030000, packet: 40600 } },
        CAPI: { active_decisions: { ip: 1521 }, dropped: { byte: 20000, packet: 200 } },
        crowdsec: { active_decisions: { ip: 3 }, dropped: { byte: 1000, packet: 10 } },
      },
    },
    decisions: { [reason]: { cscli: { ban: 1 } } },
    lapi: {
      '/v1/alerts': { POST: 1 },
      '/v1/decisions': { GET: 2 },
      '/v1/usage-metrics': { POST: 2 },
      '/v1/watchers/login': { POST: 1 },
    },
    'lapi-bouncer': { fw: { '/v1/decisions': { GET: 2 } } },
    'lapi-decisions': { fw: { NonEmpty: 1, Empty: 1 } },
    'lapi-machine': { 'web-01': { '/v1/alerts': { POST: 1 } } },
  });
  // key order is cscli's (its sections sorted), so that diffs of saved outputs stay small
  assert.deepEqual(Object.keys(JSON.parse(json.stdout) as object), [
    'alerts',
    'bouncers',
    'decisions',
    'lapi',
    'lapi-bouncer',
    'lapi-decisions',
    'lapi-machine',
  ]);
});

test('lapis metrics: empty tables left out, every table in json; raw refused; config without prometheus', async (t) => {
  const srv = await startTestServer(t, PROMETHEUS);
  const human = await cli(null, ['metrics', '--url', srv.metricsUrl!]);
  assert.deepEqual([human.code, human.stdout, human.stderr], [0, '', '']);
  const json = await cli(null, ['metrics', '--url', srv.metricsUrl!, '-o', 'json']);
  assert.equal(
    json.stdout,
    '{\n  "alerts": {},\n  "bouncers": {},\n  "decisions": {},\n  "lapi": {},\n  "lapi-bouncer": {},\n  "lapi-decisions": {},\n  "lapi-machine": {}\n}\n',
  );
  const raw = await cli(null, ['metrics', '--url', srv.metricsUrl!, '-o', 'raw']);
  assert.deepEqual([raw.code, raw.stderr], [1, "Error: lapis metrics: output format 'raw' not supported for this command\n"]);
  const disabled = await cli(cliEnv(t), ['metrics']);
  assert.deepEqual(
    [disabled.code, disabled.stdout, disabled.stderr],
    [1, '', "Error: lapis metrics: prometheus is not enabled, can't show metrics\n"],
  );
  const notMetrics = await cli(null, ['metrics', '--url', `${srv.url}/v1/nothing`]);
  assert.equal(notMetrics.stderr, `Error: lapis metrics: the metrics endpoint ${srv.url}/v1/nothing answered 404 Not Found\n`);
});

/** A port that was free a moment ago: listened on, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

test('lapis metrics against a server that is down: one line on stderr, exit 1 (a real process, the URL from the config)', async (t) => {
  const port = await closedPort();
  const env = cliEnv(t, `prometheus:\n  enabled: true\n  listen_addr: 0.0.0.0\n  listen_port: ${port}\n`);
  const r = await runMain(['metrics', '-c', env.configPath]);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    `Error: lapis metrics: cannot reach the metrics endpoint http://127.0.0.1:${port}/metrics: connect ECONNREFUSED 127.0.0.1:${port}\n`,
  );
  assert.equal(r.code, 1);
});

test('the scrape gives up after its timeout when the endpoint never answers', async (t) => {
  const silent: Server = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    silent.closeAllConnections();
    silent.close();
  });
  const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/metrics`;
  await assert.rejects(fetchMetricsText(url, 200), {
    name: 'CliError',
    message: `cannot reach the metrics endpoint ${url}: no answer within 0.2s`,
  });
});
