import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { blocklistSubscribers, getBlocklistByName } from '../../../src/store/blocklists.js';
import { organizationId } from '../../../src/store/instance.js';
import { createMachine } from '../../../src/store/machines.js';
import { cli, cliEnv, withEnvDb } from '../helpers.js';
import { assertRefusals, snapshot } from './helpers.js';

test('blocklists subscribe and unsubscribe: types, ids, remediation, integrations by name; bad input one line each', async (t) => {
  const env = cliEnv(t);
  await withEnvDb(env, (db) => createMachine(db, { machineId: 'web-01', passwordHash: 'x', isValidated: true }));
  assert.equal((await cli(env, ['blocklists', 'create', 'bl'])).code, 0);
  assert.equal((await cli(env, ['integrations', 'create', 'fw', '--type', 'firewall'])).code, 0);
  const org = await withEnvDb(env, (db) => organizationId(db, env.config.admin.organizationId));
  const fwId = JSON.parse((await cli(env, ['integrations', 'inspect', 'fw', '-o', 'json'])).stdout).id as string;

  const before = await snapshot(env);
  await assertRefusals(env, 'blocklists', 'subscribe', [
    [['blocklists', 'subscribe', 'bl'], 'required flag(s) "type" not set'],
    [
      ['blocklists', 'subscribe', 'bl', '--type', 'everyone'],
      `invalid type 'everyone': must be one of org, tag, engine (or machine), firewall_integration (or firewall), remediation_component_integration (or bouncer, remediation_component)`,
    ],
    [
      ['blocklists', 'subscribe', 'bl', '--type', 'org', '--id', 'x'],
      "--type org takes no --id: it subscribes this instance's organization",
    ],
    [['blocklists', 'subscribe', 'bl', '--type', 'engine'], '--type engine needs at least one --id'],
    [['blocklists', 'subscribe', 'nope', '--type', 'org'], "blocklist 'nope' not found"],
    [['blocklists', 'subscribe', 'bl', '--type', 'engine', '--id', 'ghost'], "cannot subscribe ghost: no machine named 'ghost'"],
    [
      ['blocklists', 'subscribe', 'bl', '--type', 'remediation_component', '--id', 'fw'],
      `cannot subscribe ${fwId}: integration '${fwId}' is a firewall integration`,
    ],
  ]);
  assert.equal(await snapshot(env), before);

  let r = await cli(env, ['blocklists', 'subscribe', 'bl', '--type', 'org']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, `subscribed ${org} to blocklist bl (remediation ban)\n`, '']);
  r = await cli(env, ['blocklists', 'subscribe', 'bl', '-t', 'machine', '--id', 'web-01', '--id', 'ghost', '--remediation', 'captcha']);
  assert.deepEqual(
    [r.code, r.stdout, r.stderr],
    [0, 'subscribed web-01 to blocklist bl (remediation captcha)\n', "cannot subscribe ghost: no machine named 'ghost'\n"],
  );
  r = await cli(env, ['blocklists', 'subscribe', 'bl', '--type', 'firewall', '--id', 'fw', '-o', 'json']);
  assert.deepEqual([r.code, r.stderr, JSON.parse(r.stdout)], [0, '', { updated: [fwId], errors: [] }]);
  const subs = await withEnvDb(env, async (db) => blocklistSubscribers(db, (await getBlocklistByName(db, 'bl'))!.id));
  assert.deepEqual(
    subs.map((s) => [s.entityType, s.entityId, s.remediation]),
    [
      ['org', org, 'ban'],
      ['engine', 'web-01', 'captcha'],
      ['firewall_integration', fwId, 'ban'],
    ],
  );

  await assertRefusals(env, 'blocklists', 'unsubscribe', [
    [['blocklists', 'unsubscribe', 'bl'], 'requires an ID, or --type org'],
    [['blocklists', 'unsubscribe', 'bl', 'ghost'], "'ghost' is not subscribed to blocklist 'bl'"],
    [['blocklists', 'unsubscribe', 'bl', 'web-01', '--type', 'tag'], "'web-01' is not subscribed to blocklist 'bl'"],
  ]);
  r = await cli(env, ['blocklists', 'unsubscribe', 'bl', 'fw']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, `unsubscribed ${fwId} from blocklist bl\n`, '']);
  r = await cli(env, ['blocklists', 'unsubscribe', 'bl', '--type', 'org']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, `unsubscribed ${org} from blocklist bl\n`, '']);
  r = await cli(env, ['blocklists', 'unsubscribe', 'bl', 'web-01', '-t', 'engine']);
  assert.deepEqual([r.code, r.stdout], [0, 'unsubscribed web-01 from blocklist bl\n']);
});

test('blocklists delete: refused while subscribed unless --force; the built-in list never', async (t) => {
  const env = cliEnv(t);
  assert.equal((await cli(env, ['blocklists', 'create', 'bl'])).code, 0);
  assert.equal((await cli(env, ['blocklists', 'add', 'bl', '192.0.2.1'])).code, 0);
  assert.equal((await cli(env, ['blocklists', 'subscribe', 'bl', '--type', 'tag', '--id', 'edge'])).code, 0);
  await assertRefusals(env, 'blocklists', 'delete', [
    [['blocklists', 'delete', 'nope'], "blocklist 'nope' not found"],
    [['blocklists', 'delete', 'bl'], "blocklist 'bl' has 1 subscriber(s): unsubscribe them first, or use --force"],
    [['blocklists', 'delete', 'lapi', '--force'], "blocklist 'lapi' is built in and cannot be deleted"],
  ]);
  const r = await cli(env, ['blocklists', 'delete', 'bl', '--force']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, "blocklist 'bl' deleted successfully\n", '']);
  assert.equal(await withEnvDb(env, (db) => getBlocklistByName(db, 'bl')), undefined);
  assert.equal((await cli(env, ['blocklists', 'create', 'bl'])).code, 0);
  assert.equal((await cli(env, ['blocklists', 'delete', 'bl'])).stdout, "blocklist 'bl' deleted successfully\n");
});

test('blocklists download: address order to stdout or a file; the lapi list from the active decisions; bad input one line', async (t) => {
  const env = cliEnv(t);
  assert.equal((await cli(env, ['blocklists', 'create', 'bl'])).code, 0);
  assert.equal((await cli(env, ['blocklists', 'add', 'bl', '2001:db8::1', '198.51.100.0/24', '192.0.2.9', '10.0.0.0/8'])).code, 0);
  let r = await cli(env, ['blocklists', 'download', 'bl']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, '10.0.0.0/8\n192.0.2.9\n198.51.100.0/24\n2001:db8::1\n', '']);
  const file = join(env.dir, 'bl.txt');
  r = await cli(env, ['blocklists', 'download', 'bl', '-f', file]);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', `4 entries of blocklist 'bl' written to '${file}'\n`]);
  assert.equal(readFileSync(file, 'utf8'), '10.0.0.0/8\n192.0.2.9\n198.51.100.0/24\n2001:db8::1\n');
  assert.equal((await cli(env, ['blocklists', 'download', 'lapi'])).stdout, '');
  for (const argv of [
    ['-i', '203.0.113.9'],
    ['-r', '198.18.0.0/15'],
    ['--scope', 'username', '-v', 'bob'],
  ])
    assert.equal((await cli(env, ['decisions', 'add', ...argv])).code, 0);
  r = await cli(env, ['blocklists', 'download', 'lapi', '-o', 'raw']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, '198.18.0.0/15\n203.0.113.9\n', '']);
  const nofile = join(env.dir, 'never.txt');
  await assertRefusals(env, 'blocklists', 'download', [
    [['blocklists', 'download', 'nope', '-f', nofile], "blocklist 'nope' not found"],
    [
      ['blocklists', 'download', 'bl', '-f', join(env.dir, 'no', 'dir.txt')],
      `open ${join(env.dir, 'no', 'dir.txt')}: no such file or directory`,
    ],
    [['blocklists', 'download', 'bl', '-o', 'json'], "output format 'json' not supported for this command"],
  ]);
  assert.equal(existsSync(nofile), false);
});
