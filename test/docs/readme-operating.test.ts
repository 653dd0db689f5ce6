import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { runMain } from '../cli/helpers.js';
import { firewallBouncerPush, firewallWindow } from '../helpers/usage-payloads.js';
import { freePort } from '../helpers/ports.js';
import { startServe } from '../helpers/serve-process.js';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

/** The shell lines of the README's "Operating Lapis" section, trailing comments removed. */
function operatingCommands(): string[] {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('\n## Operating Lapis\n');
  assert.ok(start >= 0, 'README has an "Operating Lapis" section');
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end);
  const lines: string[] = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const raw of block[1]!.split('\n')) {
      const line = raw.replace(/\s+#\s.*$/, '').trim();
      if (line !== '' && !line.startsWith('#')) lines.push(line);
    }
  }
  return lines;
}

/**
 * Every command the README's "Operating Lapis" section shows is run here, against a real `lapis serve`, with the
 * addresses the README assumes mapped to this server's. A line no case below knows fails the test: the section
 * cannot show an untested command.
 */
test("README 'Operating Lapis': every command works against a running server", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lapis-readme-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // fixed ports: `lapis status` and `lapis metrics` find the server through the config, as a user's would
  const [lapiPort, metricsPort] = [await freePort(), await freePort()];
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'config_paths:',
      `  data_dir: ${dir}`,
      'api:',
      '  server:',
      `    listen_uri: 127.0.0.1:${lapiPort}`,
      '  admin:',
      '    listen_uri: 127.0.0.1:0',
      'prometheus:',
      '  enabled: true',
      '  listen_addr: 127.0.0.1',
      `  listen_port: ${metricsPort}`,
      '',
    ].join('\n'),
  );
  const server = await startServe(t, config);
  const lapiUrl = `http://${server.address}`;
  const admin = await server.waitLine(0, (l) => /^Lapis admin API listening on /.test(String(l.msg)), 'the admin listening line');
  const adminUrl = `http://${String(admin.msg).replace('Lapis admin API listening on ', '')}`;

  // some traffic for the tables: a bouncer that queries and pushes its usage metrics
  const key = 'readme-bouncer-key-0123456789abcdef';
  const add = await runMain(['bouncers', 'add', 'fw01', '--key', key, '-c', config]);
  assert.equal(add.code, 0, add.stderr);
  const q = await fetch(`${lapiUrl}/v1/decisions?ip=192.0.2.8`, { headers: { 'X-Api-Key': key } });
  assert.equal(q.status, 200);
  const window = firewallWindow({
    active: [3, 1, 2],
    droppedBytes: [100, 40],
    droppedPackets: [2, 1],
    processedBytes: [5000, 100],
    processedPackets: [50, 2],
  });
  const push = await fetch(`${lapiUrl}/v1/usage-metrics`, {
    method: 'POST',
    headers: { 'X-Api-Key': key, 'Content-Type': 'application/json', 'User-Agent': 'crowdsec-firewall-bouncer/v0.0.31' },
    body: firewallBouncerPush(Math.floor(Date.now() / 1000), window),
  });
  assert.equal(push.status, 201);

  const commands = operatingCommands();
  assert.ok(commands.length >= 7, commands.join('\n'));
  for (const line of commands) {
    await t.test(line, async () => {
      let m: RegExpExecArray | null;
      if ((m = /^npx lapis ([^>]+?)(?:\s*>\s*(\S+))?$/.exec(line))) {
        const args = m[1]!.split(/\s+/).map((a) => (a.startsWith('./') ? join(dir, a.slice(2)) : a));
        const r = await runMain([...args, '-c', config], { timeoutMs: 30_000 });
        assert.equal(r.code, 0, `${line}\n${r.stderr}`);
        assert.equal(r.stderr, '');
        if (m[2]) writeFileSync(join(dir, m[2]), r.stdout);
        checkOutput(args, r.stdout, dir);
      } else if ((m = /^curl -s http:\/\/127\.0\.0\.1:8081(\/\S+)$/.exec(line))) {
        const res = await fetch(`${adminUrl}${m[1]}`);
        assert.equal(res.status, 200);
        const body = await res.text();
        // the document the CLI printed above is the one the listener serves
        if (m[1] === '/openapi.json' && existsSync(join(dir, 'lapi.json')))
          assert.equal(body, readFileSync(join(dir, 'lapi.json'), 'utf8'));
        assert.equal((JSON.parse(body) as { openapi: string }).openapi, '3.1.0');
      } else if (/^kill -HUP /.test(line)) {
        const reload = await server.hangup();
        assert.match(String(reload.msg), /^reloaded: /);
        assert.equal(server.child.exitCode, null);
      } else {
        assert.fail(`the README shows '${line}', which this test does not run`);
      }
    });
  }
});

/** What each CLI command of the section must have printed. */
function checkOutput(args: string[], stdout: string, dir: string): void {
  switch (args[0]) {
    case 'status':
      assert.doesNotMatch(stdout, /FAIL/);
      break;
    case 'metrics':
      assert.match(stdout, /Local API Metrics/);
      assert.match(stdout, /Bouncer Metrics/);
      break;
    case 'bouncers':
      assert.match(stdout, /fw01/);
      assert.match(stdout, /Bouncer Metrics \(fw01\)/);
      break;
    case 'backup':
      assert.ok(existsSync(args[1]!), args[1]);
      break;
    case 'openapi':
      assert.equal((JSON.parse(stdout) as { openapi: string }).openapi, '3.1.0');
      break;
    default:
      assert.fail(`no check for 'lapis ${args.join(' ')}' (${dir})`);
  }
}
