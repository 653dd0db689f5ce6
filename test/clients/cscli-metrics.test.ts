import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { runMain } from '../cli/helpers.js';
import { cscliAlert, UA } from '../helpers/actors.js';
import { freePort } from '../helpers/ports.js';
import { startServe } from '../helpers/serve-process.js';

const run = promisify(execFile);
const CSCLI = '/usr/bin/cscli';

/** `cscli metrics -o json` of 1.4 prints one JSON object per table, back to back: split them. */
function objects(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
  }
  return out;
}

/**
 * Debian's real `cscli` (1.4.6) reads Lapis's Prometheus endpoint as it reads CrowdSec's: its Local API tables hold
 * this run's traffic, and `lapis metrics -o json` holds the same tables under cscli's keys. `.ci/run` installs the
 * `crowdsec` package where apt can; the test is skipped without it.
 */
test('real cscli metrics reads the Local API tables from Lapis, the same ones lapis metrics prints', {
  skip: !existsSync(CSCLI) && `${CSCLI} not installed`,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lapis-cscli-metrics-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const [lapiPort, metricsPort] = [await freePort(), await freePort()];
  const config = join(dir, 'config.yaml');
  const prometheus = `prometheus:\n  enabled: true\n  listen_addr: 127.0.0.1\n  listen_port: ${metricsPort}\n`;
  writeFileSync(
    config,
    `config_paths:\n  data_dir: ${dir}\napi:\n  server:\n    listen_uri: 127.0.0.1:${lapiPort}\n  admin:\n    enabled: false\n${prometheus}`,
  );
  // cscli's own config: it finds the endpoint under the same `prometheus` keys
  const cscliConfig = join(dir, 'cscli.yaml');
  writeFileSync(
    cscliConfig,
    `common:\n  log_media: stdout\n  log_level: error\nconfig_paths:\n  config_dir: ${dir}\n  data_dir: ${dir}\n${prometheus}`,
  );

  await startServe(t, config);
  const url = `http://127.0.0.1:${lapiPort}`;

  // traffic: a machine pushes one alert with a decision, a bouncer asks twice (one hit, one miss)
  const key = 'cscli-metrics-bouncer-key-0123456789';
  for (const argv of [
    ['bouncers', 'add', 'fw01', '--key', key],
    ['machines', 'add', 'agent01', '--password', 'a-long-password-01'],
  ]) {
    const r = await runMain([...argv, '-c', config]);
    assert.equal(r.code, 0, r.stderr);
  }
  const login = await fetch(`${url}/v1/watchers/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': UA },
    body: JSON.stringify({ machine_id: 'agent01', password: 'a-long-password-01' }),
  });
  assert.equal(login.status, 200);
  const { token } = (await login.json()) as { token: string };
  const pushed = await fetch(`${url}/v1/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': UA, authorization: `Bearer ${token}` },
    body: JSON.stringify([cscliAlert('192.0.2.8', { scenario: 'crowdsecurity/ssh-bf', origin: 'crowdsec' })]),
  });
  assert.equal(pushed.status, 201);
  for (const ip of ['192.0.2.8', '192.0.2.9']) {
    const r = await fetch(`${url}/v1/decisions?ip=${ip}`, { headers: { 'X-Api-Key': key } });
    assert.equal(r.status, 200);
  }

  const expected = {
    lapi: { '/v1/alerts': { POST: 1 }, '/v1/decisions': { GET: 2 }, '/v1/watchers/login': { POST: 1 } },
    'lapi-machine': { agent01: { '/v1/alerts': { POST: 1 } } },
    'lapi-bouncer': { fw01: { '/v1/decisions': { GET: 2 } } },
    'lapi-decisions': { fw01: { NonEmpty: 1, Empty: 1 } },
    decisions: { 'crowdsecurity/ssh-bf': { crowdsec: { ban: 1 } } },
    alerts: { 'crowdsecurity/ssh-bf': 1 },
  };
  const cscli = await run(CSCLI, ['metrics', '-c', cscliConfig, '-o', 'json'], { timeout: 30_000 });
  const tables = objects(cscli.stdout);
  for (const [name, table] of Object.entries(expected))
    assert.ok(
      tables.some((x) => JSON.stringify(x) === JSON.stringify(table)),
      `cscli metrics shows ${name} ${JSON.stringify(table)}: ${cscli.stdout}`,
    );

  const human = await run(CSCLI, ['metrics', '-c', cscliConfig], { timeout: 30_000 });
  for (const title of ['Local Api Metrics:', 'Local Api Machines Metrics:', 'Local Api Bouncers Metrics:', 'Local Api Bouncers Decisions:'])
    assert.ok(human.stdout.includes(title), `${title}\n${human.stdout}`);

  const lapis = await runMain(['metrics', '-c', config, '-o', 'json']);
  assert.equal(lapis.code, 0, lapis.stderr);
  const ours = JSON.parse(lapis.stdout) as Record<string, unknown>;
  for (const [name, table] of Object.entries(expected)) assert.deepEqual(ours[name], table, name);
});
