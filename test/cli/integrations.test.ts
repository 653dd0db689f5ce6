import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashApiKey } from '../../src/auth/api-key.js';
import { getIntegrationByName, integrationSecret } from '../../src/store/integrations.js';
import { cli, cliEnv, runMain, withEnvDb, type CliEnv } from './helpers.js';

const secretHashOf = (env: CliEnv, name: string) =>
  withEnvDb(env, async (db) => (await integrationSecret(db, (await getIntegrationByName(db, name))!.id))!.secretHash);

async function refused(env: CliEnv, verb: string, rows: [string[], string][]): Promise<void> {
  for (const [argv, message] of rows) {
    const r = await cli(env, argv);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `Error: lapis integrations ${verb}: ${message}\n`], argv.join(' '));
  }
}

test('integrations create: credentials printed once (human, json, raw), stored as their SHA-512; bad input one line each', async (t) => {
  const env = cliEnv(t);
  let r = await cli(env, [
    'integrations',
    'create',
    'edge-fw',
    '--type',
    'firewall',
    '--format',
    'mikrotik',
    '--pull-limit',
    '500',
    '--aggregate',
    '--tag',
    'edge',
    '--tag',
    'eu',
    '-d',
    'edge firewall',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const fw = (await withEnvDb(env, (db) => getIntegrationByName(db, 'edge-fw')))!;
  const m =
    /^Integration 'edge-fw' created \(firewall_integration, mikrotik\)\.\n\n {3}Endpoint: (\S+)\n {3}Username: (\S+)\n {3}Password: (\S+)\n\nPlease keep these credentials since you will not be able to retrieve them!\n$/.exec(
      r.stdout,
    );
  assert.ok(m, r.stdout);
  assert.deepEqual([m[1], m[2], r.stderr], [`/v1/integrations/${fw.id}/content`, fw.username, '']);
  assert.equal(await secretHashOf(env, 'edge-fw'), hashApiKey(m[3]!));
  assert.deepEqual(
    [fw.entityType, fw.outputFormat, fw.pullLimit, fw.enableIpAggregation, fw.tags, fw.description],
    ['firewall_integration', 'mikrotik', 500, true, ['edge', 'eu'], 'edge firewall'],
  );

  r = await cli(env, ['integrations', 'create', 'worker', '--type', 'remediation_component_integration', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const created = JSON.parse(r.stdout) as Record<string, unknown> & { credentials: { api_key: string } };
  const rc = (await withEnvDb(env, (db) => getIntegrationByName(db, 'worker')))!;
  assert.deepEqual(
    { ...created, created_at: 'x', updated_at: 'x' },
    {
      id: rc.id,
      name: 'worker',
      description: '',
      entity_type: 'remediation_component_integration',
      output_format: 'remediation_component',
      pull_limit: null,
      enable_ip_aggregation: false,
      tags: [],
      created_at: 'x',
      updated_at: 'x',
      last_pull: null,
      endpoint: `/v1/integrations/${rc.id}`,
      username: null,
      blocklists: [],
      credentials: { api_key: created.credentials.api_key },
    },
  );
  assert.equal(await secretHashOf(env, 'worker'), hashApiKey(created.credentials.api_key));

  await refused(env, 'create', [
    [['integrations', 'create', 'x'], 'required flag(s) "type" not set'],
    [['integrations', 'create', 'x', '--type', 'router'], "invalid type 'router': must be firewall or remediation_component"],
    [
      ['integrations', 'create', 'x', '--type', 'firewall', '--format', 'remediation_component'],
      'a firewall integration cannot use the format remediation_component: choose a text format such as plain_text',
    ],
    [
      ['integrations', 'create', 'x', '--type', 'firewall', '--format', 'csv'],
      "unknown format 'csv': must be one of plain_text, f5, remediation_component, fortigate, paloalto, checkpoint, cisco, juniper, mikrotik, pfsense, opnsense, sophos",
    ],
    [
      ['integrations', 'create', 'x', '--type', 'remediation_component', '--format', 'f5'],
      'a remediation component integration uses the format remediation_component, not f5',
    ],
    [
      ['integrations', 'create', 'x', '--type', 'firewall', '--pull-limit', '-3'],
      'invalid argument "-3" for "--pull-limit" flag: a whole number is expected (0: no limit)',
    ],
    [['integrations', 'create', 'x', '--type', 'firewall', '--tag', ''], 'a tag cannot be empty'],
    [['integrations', 'create', 'edge-fw', '--type', 'firewall'], "integration 'edge-fw' already exists"],
  ]);
  assert.equal((await cli(env, ['integrations', 'list', '-o', 'json'])).stdout.match(/"name"/g)?.length, 2);
});

test('integrations create -o raw as a real process: only the secret; inspect never shows credentials', async (t) => {
  const env = cliEnv(t);
  const fw = await runMain(['integrations', 'create', 'fw', '--type', 'firewall', '-o', 'raw', '-c', env.configPath]);
  assert.equal(fw.code, 0, fw.stderr);
  assert.equal(fw.stderr, '');
  const [user, pass] = fw.stdout.split(':');
  assert.match(fw.stdout, /^lapis-[0-9a-f]{12}:[A-Za-z0-9_-]{43}$/);
  assert.equal(await secretHashOf(env, 'fw'), hashApiKey(pass!));
  const rc = await runMain(['integrations', 'create', 'rc', '--type', 'remediation_component', '-o', 'raw', '-c', env.configPath]);
  assert.deepEqual([rc.code, rc.stderr], [0, '']);
  assert.match(rc.stdout, /^[A-Za-z0-9+/]{43}$/);
  assert.equal(await secretHashOf(env, 'rc'), hashApiKey(rc.stdout));

  for (const format of ['human', 'json']) {
    const r = await cli(env, ['integrations', 'inspect', 'fw', '-o', format]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(pass!), format);
    assert.ok(r.stdout.includes(user!), format);
    const l = await cli(env, ['integrations', 'list', '-o', format]);
    assert.ok(!l.stdout.includes(pass!) && !l.stdout.includes(rc.stdout), format);
  }
  const bad = await runMain(['integrations', 'inspect', 'nope', '-c', env.configPath]);
  assert.deepEqual([bad.code, bad.stdout, bad.stderr], [1, '', "Error: lapis integrations inspect: integration 'nope' not found\n"]);
});

test('integrations list, inspect (by name or id, with the blocklists read), update, regenerate, delete', async (t) => {
  const env = cliEnv(t);
  assert.equal((await cli(env, ['integrations', 'create', 'fw', '--type', 'firewall', '--tag', 'edge'])).code, 0);
  const fw = (await withEnvDb(env, (db) => getIntegrationByName(db, 'fw')))!;
  for (const argv of [
    ['blocklists', 'create', 'a'],
    ['blocklists', 'create', 'b'],
    ['blocklists', 'create', 'c'],
    ['blocklists', 'subscribe', 'a', '--type', 'firewall', '--id', 'fw', '--remediation', 'captcha'],
    ['blocklists', 'subscribe', 'b', '--type', 'tag', '--id', 'edge'],
    ['blocklists', 'subscribe', 'c', '--type', 'org'],
    ['blocklists', 'subscribe', 'c', '--type', 'tag', '--id', 'other'],
  ])
    assert.equal((await cli(env, argv)).code, 0, argv.join(' '));

  const at = new Date(fw.createdAt).toISOString().replace(/\.\d+Z$/, 'Z');
  let r = await cli(env, ['integrations', 'inspect', fw.id]);
  const k = '─'.repeat(67);
  const s = '─'.repeat(53);
  assert.equal(
    r.stdout,
    [
      ' Integration: fw',
      k,
      ' Name            fw',
      ` ID              ${fw.id}`,
      ' Description',
      ' Type            firewall_integration',
      ' Format          plain_text',
      ' Pull limit      none',
      ' IP aggregation  no',
      ' Tags            edge',
      ` Endpoint        /v1/integrations/${fw.id}/content`,
      ` Username        ${fw.username}`,
      ` Created at      ${at}`,
      ` Updated at      ${at}`,
      ' Last pull       never',
      k,
      '',
      s,
      ' Blocklist  Label  Remediation  Subscribed through',
      s,
      ' a          a      captcha      firewall_integration',
      ' b          b      ban          tag:edge',
      ' c          c      ban          org',
      s,
      '',
    ].join('\n'),
  );
  const l = await cli(env, ['integrations', 'list', '-o', 'raw']);
  assert.equal(
    l.stdout,
    `name,id,entity_type,output_format,pull_limit,enable_ip_aggregation,tags,blocklists,last_pull\nfw,${fw.id},firewall_integration,plain_text,none,false,edge,3,\n`,
  );
  assert.equal(
    (await cli(env, ['integrations', 'inspect', 'fw', '-o', 'raw'])).stderr,
    "Error: lapis integrations inspect: output format 'raw' not supported for this command\n",
  );

  await refused(env, 'update', [
    [
      ['integrations', 'update', 'fw'],
      'nothing to update: give --format, --pull-limit, --aggregate, --no-aggregate, --tag, -d or --regenerate',
    ],
    [['integrations', 'update', 'nope', '--aggregate'], "integration 'nope' not found"],
    [
      ['integrations', 'update', 'fw', '--format', 'remediation_component'],
      'a firewall integration cannot use the format remediation_component: choose a text format such as plain_text',
    ],
    [
      ['integrations', 'update', 'fw', '--format', 'xml'],
      "unknown format 'xml': must be one of plain_text, f5, remediation_component, fortigate, paloalto, checkpoint, cisco, juniper, mikrotik, pfsense, opnsense, sophos",
    ],
    [['integrations', 'update', 'fw', '--aggregate', '--no-aggregate'], '--aggregate and --no-aggregate exclude each other'],
  ]);
  r = await cli(env, ['integrations', 'update', 'fw', '--format', 'f5', '--pull-limit', '1000', '--aggregate', '--tag', 'core']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, "integration 'fw' updated\n", '']);
  let now = (await withEnvDb(env, (db) => getIntegrationByName(db, 'fw')))!;
  assert.deepEqual([now.outputFormat, now.pullLimit, now.enableIpAggregation, now.tags], ['f5', 1000, true, ['core']]);
  r = await cli(env, ['integrations', 'update', fw.id, '--pull-limit', '0', '--no-aggregate', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual([j.pull_limit, j.enable_ip_aggregation, 'credentials' in j], [null, false, false]);
  // the tag changed: b is no longer read, the others are
  assert.deepEqual(
    (j.blocklists as { name: string }[]).map((b) => b.name),
    ['a', 'c'],
  );

  const oldHash = await secretHashOf(env, 'fw');
  r = await cli(env, ['integrations', 'update', 'fw', '--regenerate', '-o', 'raw']);
  assert.equal(r.code, 0, r.stderr);
  const [user, pass] = r.stdout.split(':');
  now = (await withEnvDb(env, (db) => getIntegrationByName(db, 'fw')))!;
  const newHash = await secretHashOf(env, 'fw');
  assert.notEqual(newHash, oldHash);
  assert.deepEqual([newHash, now.username], [hashApiKey(pass!), user]);
  r = await cli(env, ['integrations', 'update', 'fw', '--regenerate']);
  assert.match(
    r.stdout,
    /^New credentials for integration 'fw':\n\n {3}Endpoint: \S+\n {3}Username: \S+\n {3}Password: \S+\n\nPlease keep these credentials since you will not be able to retrieve them!\n$/,
  );
  assert.notEqual(await secretHashOf(env, 'fw'), newHash);

  await refused(env, 'delete', [
    [['integrations', 'delete', 'nope'], "integration 'nope' not found"],
    [['integrations', 'delete', 'fw'], "integration 'fw' is subscribed to 1 list(s): unsubscribe it first, or use --force"],
  ]);
  r = await cli(env, ['integrations', 'delete', fw.id, '--force']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, "integration 'fw' deleted successfully\n", '']);
  assert.equal((await cli(env, ['integrations', 'list', '-o', 'json'])).stdout, '[]\n');
  assert.deepEqual(
    (JSON.parse((await cli(env, ['blocklists', 'inspect', 'a', '-o', 'json'])).stdout) as { subscribers: unknown[] }).subscribers,
    [],
  );
});
