import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashApiKey } from '../../src/auth/api-key.js';
import { parseIpOrRange } from '../../src/domain/ip-range.js';
import { createBouncer } from '../../src/store/bouncers.js';
import { organizationId } from '../../src/store/instance.js';
import { addItemsAndApply, createList, subscribe } from '../../src/usecases/allowlists.js';
import { addBlocklistItems, createBlocklist, deleteBlocklistItems, subscribeBlocklist } from '../../src/usecases/blocklists.js';
import { createIntegration } from '../../src/usecases/integrations.js';
import { startTestServer } from '../helpers/server.js';
import { waitUntil } from '../helpers/wait.js';

// Debian's crowdsec-custom-bouncer (0.0.15, go-cs-bouncer's stream mode): .ci/run installs it when apt can
const BIN = '/usr/bin/crowdsec-custom-bouncer';

/** Runs the real bouncer against `apiUrl`; every add/del it makes lands as a line in the returned file. */
function runBouncer(t: { after: (fn: () => void) => void }, dir: string, name: string, apiUrl: string, key: string): string {
  const out = join(dir, `${name}.log`);
  const script = join(dir, `${name}.sh`);
  writeFileSync(out, '');
  writeFileSync(script, `#!/bin/sh\nprintf '%s %s %s\\n' "$1" "$2" "$5" >> '${out}'\n`);
  chmodSync(script, 0o755);
  const cfg = join(dir, `${name}.yaml`);
  writeFileSync(
    cfg,
    [
      `bin_path: ${script}`,
      'feed_via_stdin: false',
      'update_frequency: 1s',
      'cache_retention_duration: 1s',
      'daemonize: false',
      'log_mode: stdout',
      'log_level: info',
      `piddir: ${dir}`,
      `api_url: ${apiUrl}`,
      `api_key: ${key}`,
      'prometheus:',
      '  enabled: false',
      '',
    ].join('\n'),
  );
  const child = spawn(BIN, ['-c', cfg], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  return out;
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);
const has = (file: string, re: RegExp) => lines(file).some((l) => re.test(l));

test('Debian crowdsec-custom-bouncer: a remediation-component integration and a LAPI bouncer (org) get a blocklist, its deletion, and an allowlist', {
  skip: !existsSync(BIN) && 'crowdsec-custom-bouncer is not installed',
}, async (t) => {
  const srv = await startTestServer(t);
  const w = { db: srv.db };
  const org = await organizationId(srv.db);
  const list = await createBlocklist(w, { name: 'spamhaus', label: 'spamhaus', description: 'd', references: [], tags: [], feed: null });
  await addBlocklistItems(
    w,
    list.id,
    ['192.0.2.1', '192.0.2.2', '198.51.100.0/24'].map((v) => parseIpOrRange(v)),
    null,
  );
  const { integration, credentials } = await createIntegration(w, {
    name: 'worker',
    description: '',
    entityType: 'remediation_component_integration',
    outputFormat: 'remediation_component',
    pullLimit: null,
    enableIpAggregation: false,
    tags: [],
  });
  assert.ok('api_key' in credentials);
  await subscribeBlocklist(w, list.id, 'remediation_component_integration', [integration.id], 'ban', org);
  await subscribeBlocklist(w, list.id, 'org', [], 'ban', org);
  await createBouncer(srv.db, { name: 'custom', keyHash: hashApiKey('custom-bouncer-key-0123456789') });

  const viaIntegration = runBouncer(t, srv.dir, 'integration', `${srv.url}/v1/integrations/${integration.id}/`, credentials.api_key);
  const viaLapi = runBouncer(t, srv.dir, 'lapi', `${srv.url}/`, 'custom-bouncer-key-0123456789');
  for (const f of [viaIntegration, viaLapi])
    await waitUntil(
      () => ['192.0.2.1', '192.0.2.2', '198.51.100.0/24'].every((v) => has(f, new RegExp(`^add ${v} `))),
      20_000,
      `${f}: the list`,
    );
  // as upstream serves pulled lists: origin lists, scenario lists:<name>
  assert.ok(has(viaLapi, /^add 192\.0\.2\.1 .*"origin":"lists".*"scenario":"lists:spamhaus"/), lines(viaLapi).join('\n'));

  await deleteBlocklistItems(w, list.id, [parseIpOrRange('192.0.2.2')]);
  for (const f of [viaIntegration, viaLapi]) await waitUntil(() => has(f, /^del 192\.0\.2\.2 /), 20_000, `${f}: the deletion`);

  // an allowlist for the whole organisation (and so for the integration) takes a listed value away from both
  const allow = await createList(w, 'office', '');
  await subscribe(w, allow.id, 'org', [org], org);
  await addItemsAndApply(w, allow.id, {
    values: ['192.0.2.1'],
    description: '',
    expiresAt: null,
    actor: { source_type: 'user', identifier: 'test' },
  });
  for (const f of [viaIntegration, viaLapi]) await waitUntil(() => has(f, /^del 192\.0\.2\.1 /), 20_000, `${f}: the allowlisted value`);
  // and nothing was added twice
  for (const f of [viaIntegration, viaLapi])
    assert.equal(lines(f).filter((l) => l.startsWith('add 192.0.2.1 ')).length, 1, lines(f).join('\n'));
});
