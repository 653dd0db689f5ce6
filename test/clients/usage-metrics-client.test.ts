import assert from 'node:assert/strict';
import { release, type } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashApiKey } from '../../src/auth/api-key.js';
import { hashPassword } from '../../src/auth/password.js';
import { createBouncer } from '../../src/store/bouncers.js';
import { createMachine } from '../../src/store/machines.js';
import { runMain } from '../cli/helpers.js';
import { cscliAlert } from '../helpers/actors.js';
import { startTestServer } from '../helpers/server.js';

// the bouncer library logs at debug level unless told otherwise, and reads this when it loads
process.env.LOG_LEVEL ??= 'silent';
const { CrowdSecBouncer } = await import('@crowdsec/nodejs-bouncer');

test('@crowdsec/nodejs-bouncer pushUsageMetrics: dropped per origin and remediation in the scrape and in `lapis bouncers inspect`', async (t) => {
  const srv = await startTestServer(t, 'prometheus:\n  enabled: true\n  listen_addr: 127.0.0.1\n  listen_port: 0\n', async (db) => {
    await createMachine(db, { machineId: 'web-01', passwordHash: await hashPassword('a-long-password'), isValidated: true });
    await createBouncer(db, { name: 'express', keyHash: hashApiKey('express-key-0123456789') });
  });
  const login = await fetch(`${srv.url}/v1/watchers/login`, {
    method: 'POST',
    headers: { 'user-agent': 'crowdsec/v1.7.8' },
    body: JSON.stringify({ machine_id: 'web-01', password: 'a-long-password' }),
  });
  const { token } = (await login.json()) as { token: string };
  const pushed = await fetch(`${srv.url}/v1/alerts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify([
      cscliAlert('192.0.2.44'),
      cscliAlert('198.51.100.0/24', { origin: 'crowdsec', scenario: 'crowdsecurity/ssh-bf' }),
    ]),
  });
  assert.equal(pushed.status, 201, await pushed.text());

  // four requests through the library: two from a banned IP (cscli), one from a banned range (crowdsec), one clean
  const bouncer = new CrowdSecBouncer({ url: srv.url, bouncerApiToken: 'express-key-0123456789' });
  for (const ip of ['192.0.2.44', '192.0.2.44', '198.51.100.20', '203.0.113.1']) {
    const { remediation, origin } = await bouncer.getIpRemediation(ip);
    await bouncer.getResponse({ ip, remediation, origin });
  }
  await bouncer.pushUsageMetrics('express', 'v1.2.3');

  const text = await (await fetch(srv.metricsUrl!)).text();
  const lines = text
    .split('\n')
    .filter((l) => l.startsWith('lapis_bouncer_usage'))
    .sort();
  const labels = (metric: string, origin: string, remediation: string) =>
    `{bouncer="express",type="crowdsec-nodejs-bouncer",metric="${metric}",unit="request",origin="${origin}",remediation="${remediation}",ip_type=""}`;
  assert.equal(lines.length, 4, lines.join('\n'));
  assert.match(lines[0]!, /^lapis_bouncer_usage_since_timestamp_seconds\{bouncer="express"\} \d{10}$/);
  const since = Number(lines[0]!.split(' ')[1]);
  assert.ok(Math.abs(since - Date.now() / 1000) < 60);
  assert.deepEqual(lines.slice(1), [
    `lapis_bouncer_usage_sum${labels('dropped', 'crowdsec', 'ban')} 1`,
    `lapis_bouncer_usage_sum${labels('dropped', 'cscli', 'ban')} 2`,
    `lapis_bouncer_usage_sum${labels('processed', '', '')} 4`,
  ]);

  // a real `lapis` process on the server's store
  const env = { LAPIS_DATA_DIR: join(srv.dir, 'data') };
  const config = join(srv.dir, 'config.yaml');
  const human = await runMain(['bouncers', 'inspect', 'express', '-c', config], { env });
  assert.equal(human.code, 0, human.stderr);
  const out = human.stdout.split('\n');
  const os = `${type()}/${release()}`;
  assert.ok(out.includes(` Version       v1.2.3`), human.stdout);
  assert.ok(out.includes(` OS            ${os}`), human.stdout);
  const title = ` Bouncer Metrics (express) since ${new Date(since * 1000).toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
  const usage = out.slice(out.indexOf(title));
  const rule = '─'.repeat(81);
  assert.deepEqual(usage, [
    title,
    rule,
    ' Origin                      Remediation  dropped (request)  processed (request)',
    rule,
    ' crowdsec (security engine)  ban          1                  -',
    ' cscli (manual decisions)    ban          2                  -',
    ' Total                                    3                  4',
    rule,
    '',
  ]);

  const json = await runMain(['bouncers', 'inspect', 'express', '-o', 'json', '-c', config], { env });
  const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
  assert.equal(parsed.version, 'v1.2.3');
  assert.equal(parsed.os, os);
  assert.deepEqual(parsed.metrics, {
    since: new Date(since * 1000).toISOString().replace('.000Z', 'Z'),
    items: [
      { name: 'dropped', unit: 'request', origin: 'crowdsec', remediation: 'ban', ip_type: '', value: 1 },
      { name: 'dropped', unit: 'request', origin: 'cscli', remediation: 'ban', ip_type: '', value: 2 },
      { name: 'processed', unit: 'request', origin: '', remediation: '', ip_type: '', value: 4 },
    ],
  });
});
