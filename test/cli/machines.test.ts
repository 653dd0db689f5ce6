import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkPassword } from '../../src/auth/password.js';
import { machinesAdd } from '../../src/cli/machines/add.js';
import { machinesDelete } from '../../src/cli/machines/delete.js';
import { machinesInspect } from '../../src/cli/machines/inspect.js';
import { machinesList, printMachines } from '../../src/cli/machines/list.js';
import { machinesPruneCandidates, machinesPruneDelete } from '../../src/cli/machines/prune.js';
import { machinesValidate } from '../../src/cli/machines/validate.js';
import { rfc3339, rfc3339Nano } from '../../src/go-format.js';
import { createMachine, getMachine, recordLogin, touchHeartbeat } from '../../src/store/machines.js';
import { recordUsageMetrics, type DetailedMetrics } from '../../src/store/usage-metrics.js';
import { cli, cliEnv, printer, withEnvDb, type CliEnv } from './helpers.js';

const HASH = '$2b$10$abcdefghijklmnopqrstuuJ7ZV8rsM5Vw3O1pWZ2Qf4Yq8W7m0Kq'; // never checked

function credsPath(env: CliEnv): string {
  return env.config.client.credentials_path;
}

test('machines add: a validated machine with an empty IP, credentials file 0600, cscli messages', async (t) => {
  const env = cliEnv(t, 'api:\n  server:\n    listen_uri: 127.0.0.1:8080\n');
  const r = await cli(env, ['machines', 'add', 'm1', '--password', 'p4ss-w0rd']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `Machine 'm1' successfully added to the local API.\nAPI credentials written to '${credsPath(env)}'.\n`);
  assert.equal(readFileSync(credsPath(env), 'utf8'), 'url: http://127.0.0.1:8080\nlogin: m1\npassword: p4ss-w0rd\n');
  assert.equal(statSync(credsPath(env)).mode & 0o777, 0o600);
  const m = await withEnvDb(env, (db) => getMachine(db, 'm1'));
  assert.ok(m);
  assert.equal(m.isValidated, true);
  assert.equal(m.ipAddress, '');
  assert.equal(m.authType, 'password');
  assert.ok(await checkPassword('p4ss-w0rd', m.passwordHash));

  // the default file exists now: refused unless --force or -f
  const again = await cli(env, ['machines', 'add', 'm2', '-p', 'x']);
  assert.equal(again.code, 1);
  assert.equal(
    again.stderr,
    `Error: lapis machines add: credentials file '${credsPath(env)}' already exists: please remove it, use "--force" or specify a different file with "-f" ("-f -" for standard output)\n`,
  );
  assert.equal(await withEnvDb(env, (db) => getMachine(db, 'm2')), undefined);
  const other = join(env.dir, 'm2.yaml');
  assert.equal((await cli(env, ['machines', 'add', 'm2', '-p', 'x', '-f', other, '-u', 'https://lapi.example:8443'])).code, 0);
  assert.equal(readFileSync(other, 'utf8'), 'url: https://lapi.example:8443\nlogin: m2\npassword: x\n');
  const forced = await cli(env, ['machines', 'add', 'm3', '-p', 'y', '--force']);
  assert.equal(forced.code, 0);
  assert.equal(readFileSync(credsPath(env), 'utf8'), 'url: http://127.0.0.1:8080\nlogin: m3\npassword: y\n');
});

test('machines add: name, password and existing-machine errors; --force resets the password', async (t) => {
  const env = cliEnv(t);
  const f = join(env.dir, 'c.yaml');
  const table: [string[], string][] = [
    [['machines', 'add'], 'please specify a machine name to add, or use --auto'],
    [['machines', 'add', 'm1', '-f', f], 'please specify a password with --password or use --auto'],
    [['machines', 'add', 'm1', '-p', 'x'.repeat(73)], 'password too long (max 72 characters)'],
    [['machines', 'add', 'm1', '-p', 'é'.repeat(37)], 'password too long (max 72 characters)'],
  ];
  for (const [argv, msg] of table) {
    const r = await cli(env, argv);
    assert.equal(r.stderr, `Error: lapis machines add: ${msg}\n`, argv.join(' '));
    assert.equal(r.code, 1);
  }
  assert.equal((await cli(env, ['machines', 'add', 'm1', '-p', 'x'.repeat(72), '-f', f])).code, 0);
  const dup = await cli(env, ['machines', 'add', 'm1', '-p', 'other', '-f', f]);
  assert.equal(dup.stderr, "Error: lapis machines add: unable to create machine: user 'm1': user already exist\n");
  assert.equal(dup.code, 1);
  assert.equal((await cli(env, ['machines', 'add', 'm1', '-p', 'other', '-f', f, '--force'])).code, 0);
  const m = await withEnvDb(env, (db) => getMachine(db, 'm1'));
  assert.ok(await checkPassword('other', m!.passwordHash));
  assert.equal(readFileSync(f, 'utf8').split('\n')[2], 'password: other');
});

test('machines add --auto -f -: generated name and password, the YAML on stdout', async (t) => {
  const env = cliEnv(t, "api:\n  server:\n    listen_uri: '[::1]:8081'\n");
  const r = await cli(env, ['machines', 'add', '--auto', '-f', '-']);
  assert.equal(r.code, 0);
  const m = /^url: http:\/\/\[::1\]:8081\nlogin: ([0-9a-zA-Z]+)\npassword: ([A-Ya-z0-9]+)\n$/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(m[1]!.length, 48);
  assert.equal(m[2]!.length, 64);
  assert.equal(r.stderr, `Machine '${m[1]}' successfully added to the local API.\n`);
  assert.equal(existsSync(credsPath(env)), false);
  const stored = await withEnvDb(env, (db) => getMachine(db, m[1]!));
  assert.ok(await checkPassword(m[2]!, stored!.passwordHash));

  // the function, in-process: notices in order, the result carries what was written
  const notices: string[] = [];
  const file = join(env.dir, 'fn.yaml');
  const res = await withEnvDb(env, (db) => machinesAdd(db, env.config, { name: 'fn', auto: true, file }, (n) => notices.push(n)));
  assert.deepEqual(notices, ["Machine 'fn' successfully added to the local API.", `API credentials written to '${file}'.`]);
  assert.equal(res.url, 'http://[::1]:8081');
  assert.equal(readFileSync(file, 'utf8'), res.yaml);
});

test('machines list: human table, raw CSV and json with cscli keys', async (t) => {
  const env = cliEnv(t);
  const t0 = Date.UTC(2026, 6, 24, 9, 0, 0, 250);
  await withEnvDb(env, async (db) => {
    await createMachine(db, { machineId: 'web-01', passwordHash: HASH, isValidated: true }, t0);
    await recordLogin(db, 'web-01', { ipAddress: '192.0.2.10', version: 'v1.6.8-linux' }, t0 + 1000);
    await touchHeartbeat(db, 'web-01', t0 + 2000);
    await createMachine(db, { machineId: 'pending', passwordHash: HASH, isValidated: false, ipAddress: '192.0.2.11' }, t0 + 3000);
  });
  const machines = await withEnvDb(env, (db) => machinesList(db));
  const now = t0 + 62_000; // web-01's heartbeat is 1m0s old, inside the 2-minute window

  const human = printer('human');
  printMachines(human.out, machines, now);
  const RULE = '─'.repeat(96);
  assert.equal(
    human.stdout(),
    [
      RULE,
      ' Name     IP Address  Last Update           Status  Version       OS  Auth Type  Last Heartbeat',
      RULE,
      ' web-01   192.0.2.10  2026-07-24T09:00:01Z  \u2714\ufe0f      v1.6.8-linux  ?   password   1m0s',
      ' pending  192.0.2.11  2026-07-24T09:00:03Z  \u{1f6ab}                    ?   password   \u26a0\ufe0f -',
      RULE,
      '',
    ].join('\n'),
  );
  const stale = printer('human');
  printMachines(stale.out, machines.slice(0, 1), t0 + 3 * 60_000);
  assert.match(stale.stdout(), /password {3}\u26a0\ufe0f 2m58s\n/);

  const raw = await cli(env, ['machines', 'list', '-o', 'raw']);
  assert.equal(
    raw.stdout,
    'machine_id,ip_address,updated_at,validated,version,auth_type,last_heartbeat,os\n' +
      'web-01,192.0.2.10,2026-07-24T09:00:01Z,true,v1.6.8-linux,password,2026-07-24T09:00:02Z,/\n' +
      'pending,192.0.2.11,2026-07-24T09:00:03Z,false,,password,-,/\n',
  );
  const json = await cli(env, ['machines', 'list', '-o', 'json']);
  assert.equal(
    json.stdout,
    `${JSON.stringify(
      [
        {
          created_at: '2026-07-24T09:00:00.25Z',
          updated_at: '2026-07-24T09:00:01.25Z',
          last_push: '2026-07-24T09:00:00.25Z',
          last_heartbeat: '2026-07-24T09:00:02.25Z',
          machineId: 'web-01',
          ipAddress: '192.0.2.10',
          version: 'v1.6.8-linux',
          isValidated: true,
          auth_type: 'password',
          os: '?',
        },
        // pending: no isValidated key, as upstream's omitempty
        {
          created_at: '2026-07-24T09:00:03.25Z',
          updated_at: '2026-07-24T09:00:03.25Z',
          last_push: '2026-07-24T09:00:03.25Z',
          machineId: 'pending',
          ipAddress: '192.0.2.11',
          auth_type: 'password',
          os: '?',
        },
      ],
      null,
      2,
    )}\n`,
  );
  const empty = cliEnv(t);
  assert.equal((await cli(empty, ['machines', 'list', '-o', 'json'])).stdout, '[]\n');
});

test('machines validate and delete: cscli messages, a missing name stops the loop without failing', async (t) => {
  const env = cliEnv(t);
  await withEnvDb(env, async (db) => {
    for (const id of ['a', 'b', 'c']) await createMachine(db, { machineId: id, passwordHash: HASH, isValidated: false });
  });
  const v = await cli(env, ['machines', 'validate', 'a']);
  assert.equal(v.stderr, "machine 'a' validated successfully\n");
  assert.equal(v.code, 0);
  assert.equal((await withEnvDb(env, (db) => getMachine(db, 'a')))!.isValidated, true);
  const unknown = await cli(env, ['machines', 'validate', 'zz']);
  assert.equal(unknown.stderr, "Error: lapis machines validate: unable to validate machine 'zz': machine not found\n");
  assert.equal(unknown.code, 1);
  await assert.rejects(
    withEnvDb(env, (db) => machinesValidate(db, 'zz')),
    { message: "unable to validate machine 'zz': machine not found" },
  );
  // quiet in json mode (cscli logs at error level there)
  assert.equal((await cli(env, ['machines', 'validate', 'b', '-o', 'json'])).stderr, '');

  const del = await cli(env, ['machines', 'remove', 'a', 'missing', 'b']);
  assert.equal(del.code, 0);
  assert.equal(del.stderr, "machine 'a' deleted successfully\nunable to delete machine: 'missing' does not exist\n");
  assert.ok(await withEnvDb(env, (db) => getMachine(db, 'b')), 'the loop stopped at the missing name');
  const quiet = await cli(env, ['machines', 'delete', 'nope', '--ignore-missing']);
  assert.equal(quiet.stderr, '');
  assert.equal(quiet.code, 0);
  assert.deepEqual(await withEnvDb(env, (db) => machinesDelete(db, ['b', 'c'])), { deleted: ['b', 'c'] });
});

test('machines prune: candidates, confirmation (refused without a terminal), --force, --not-validated-only', async (t) => {
  const env = cliEnv(t);
  const now = Date.now();
  const hour = 3600_000;
  await withEnvDb(env, async (db) => {
    await createMachine(db, { machineId: 'pending', passwordHash: HASH, isValidated: false }, now);
    await createMachine(db, { machineId: 'stale', passwordHash: HASH, isValidated: true }, now - 2 * hour);
    await touchHeartbeat(db, 'stale', now - hour);
    await createMachine(db, { machineId: 'silent-old', passwordHash: HASH, isValidated: true }, now - 2 * hour);
    await createMachine(db, { machineId: 'alive', passwordHash: HASH, isValidated: true }, now - 2 * hour);
    await touchHeartbeat(db, 'alive', now - 1000);
    await createMachine(db, { machineId: 'silent-new', passwordHash: HASH, isValidated: true }, now);
  });
  const names = async (d: number, nvo: boolean) =>
    (await withEnvDb(env, (db) => machinesPruneCandidates(db, d, nvo, now))).map((m) => m.machineId);
  assert.deepEqual(await names(10 * 60_000, false), ['pending', 'stale', 'silent-old']);
  assert.deepEqual(await names(10 * 60_000, true), ['pending']);

  const refused = await cli(env, ['machines', 'prune']);
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr,
    'Error: lapis machines prune: pruning 3 machine(s) needs a confirmation, but stdin is not a terminal: use --force to proceed without asking\n',
  );
  assert.match(refused.stdout, /^─+\n Name +IP Address/);
  const short = await cli(env, ['machines', 'prune', '-d', '1m']);
  assert.equal(
    short.stderr,
    'Error: lapis machines prune: a prune duration under 2 minutes needs a confirmation, but stdin is not a terminal: use --force to proceed without asking\n',
  );
  const no = await cli(env, ['machines', 'prune'], { answers: [false] });
  assert.equal(no.code, 0);
  assert.match(no.stdout, /\nUser aborted prune\. No changes were made\.\n$/);
  assert.equal((await names(10 * 60_000, false)).length, 3);

  const nvo = await cli(env, ['machines', 'prune', '--not-validated-only', '--force']);
  assert.equal(nvo.stderr, 'successfully deleted 1 machines\n');
  const yes = await cli(env, ['machines', 'prune', '-d', '30m'], { answers: [true] });
  assert.equal(yes.code, 0);
  assert.equal(yes.stderr, 'successfully deleted 2 machines\n');
  const rest = await withEnvDb(env, (db) => machinesList(db));
  assert.deepEqual(
    rest.map((m) => m.machineId),
    ['alive', 'silent-new'],
  );
  const none = await cli(env, ['machines', 'prune', '-d', '1d']);
  assert.equal(none.stdout, 'No machines to prune.\n');
  assert.equal(none.code, 0);
});

test('machines prune deletes in batches and reports progress', async (t) => {
  const env = cliEnv(t);
  const old = Date.now() - 3600_000;
  await withEnvDb(env, (db) =>
    db.transaction().execute(async (trx) => {
      for (let i = 0; i < 1100; i++) await createMachine(trx, { machineId: `m${i}`, passwordHash: HASH, isValidated: false }, old);
    }),
  );
  const progress: number[] = [];
  const n = await withEnvDb(env, async (db) =>
    machinesPruneDelete(db, await machinesPruneCandidates(db, 60_000, false), (d) => progress.push(d)),
  );
  assert.equal(n, 1100);
  assert.deepEqual(progress, [500, 1000, 1100]);
  assert.deepEqual(await withEnvDb(env, (db) => machinesList(db)), []);
});

test('machines inspect: key/value table, json with metrics, raw refused, --hub', async (t) => {
  const env = cliEnv(t);
  const t0 = Date.UTC(2026, 6, 24, 9, 0, 0);
  await withEnvDb(env, async (db) => {
    await createMachine(db, { machineId: 'web-01', passwordHash: HASH, isValidated: true }, t0);
    await recordLogin(db, 'web-01', { ipAddress: '192.0.2.10', version: 'v1.6.8' }, t0 + 1000);
  });
  const human = await cli(env, ['machines', 'inspect', 'web-01']);
  assert.equal(
    human.stdout,
    [
      ' Machine: web-01',
      '────────────────────────────────────────',
      ' IP Address        192.0.2.10',
      ' Created At        2026-07-24T09:00:00Z',
      ' Last Update       2026-07-24T09:00:01Z',
      ' Last Heartbeat    -',
      ' Validated?        true',
      ' CrowdSec version  v1.6.8',
      ' OS                ?',
      ' Auth type         password',
      '────────────────────────────────────────',
      '',
    ].join('\n'),
  );
  const json = JSON.parse((await cli(env, ['machines', 'inspect', 'web-01', '-o', 'json'])).stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(json), [
    'created_at',
    'updated_at',
    'last_push',
    'machineId',
    'ipAddress',
    'version',
    'isValidated',
    'auth_type',
    'os',
    'metrics',
  ]);
  assert.equal(json.created_at, rfc3339Nano(t0));
  assert.deepEqual(json.metrics, {});
  const raw = await cli(env, ['machines', 'inspect', 'web-01', '-o', 'raw']);
  assert.equal(raw.stderr, "Error: lapis machines inspect: output format 'raw' not supported for this command\n");
  assert.equal(raw.code, 1);
  const unknown = await cli(env, ['machines', 'inspect', 'X']);
  assert.equal(unknown.stderr, "Error: lapis machines inspect: unable to read machine data 'X': user 'X': user doesn't exist\n");
  assert.equal((await cli(env, ['machines', 'inspect', 'web-01', '--hub'])).stdout, 'No hub items found for this machine\n');
  assert.equal((await cli(env, ['machines', 'inspect', 'web-01', '-H', '-o', 'json'])).stdout, '{}\n');
  assert.equal((await cli(env, ['machines', 'inspect', 'web-01', '-H', '-o', 'raw'])).stdout, 'type,name,status,version\n');
  const r = await withEnvDb(env, (db) => machinesInspect(db, 'web-01'));
  assert.equal(rfc3339(r.machine.updatedAt), '2026-07-24T09:00:01Z');
});

test('machines inspect: datasources, feature flags, then the acquisition and parser tables of the stored pushes', async (t) => {
  const env = cliEnv(t);
  const t0 = Date.UTC(2026, 6, 24, 9, 0, 0);
  const auth = { acquis_type: 'tail', datasource_type: 'file', source: '/var/log/auth.log' };
  const nginx = { acquis_type: 'tail', datasource_type: 'file', source: '/var/log/nginx/access.log' };
  const window = (at: number, k: number): DetailedMetrics => ({
    meta: { window_size_seconds: 1800, utc_now_timestamp: at },
    items: [
      { name: 'read', unit: 'line', value: 100 * k, labels: auth },
      { name: 'global_parsed', unit: 'line', value: 80 * k, labels: auth },
      { name: 'global_unparsed', unit: 'line', value: 20 * k, labels: auth },
      {
        name: 'parsed',
        unit: 'line',
        value: 80 * k,
        labels: { ...auth, parser_name: 'crowdsecurity/sshd-logs', parser_stage: 's01-parse' },
      },
      {
        name: 'unparsed',
        unit: 'line',
        value: 20 * k,
        labels: { ...auth, parser_name: 'crowdsecurity/sshd-logs', parser_stage: 's01-parse' },
      },
      {
        name: 'parsed',
        unit: 'line',
        value: 80 * k,
        labels: { ...auth, parser_name: 'crowdsecurity/syslog-logs', parser_stage: 's00-raw' },
      },
      { name: 'read', unit: 'line', value: 7 * k, labels: nginx },
      { name: 'parsed', unit: 'line', value: 3 * k, labels: { parser_name: 'crowdsecurity/rdns', parser_stage: 's00-enrich' } },
      {
        name: 'whitelisted',
        unit: 'event',
        value: 1,
        labels: { ...auth, whitelist_name: 'crowdsecurity/whitelists', whitelist_stage: 's02-enrich' },
      },
    ],
  });
  await withEnvDb(env, async (db) => {
    await createMachine(db, { machineId: 'web-01', passwordHash: HASH, isValidated: true }, t0);
    const who = {
      kind: 'LP' as const,
      machineId: 'web-01',
      hubstate: { collections: [{ name: 'crowdsecurity/linux', status: 'enabled', version: '0.2' }] },
      datasources: { journalctl: 1, file: 2 },
    };
    const report = { version: 'v1.7.8', os: { name: 'debian', version: '12' }, featureFlags: ['re2_grok_support'] };
    await recordUsageMetrics(db, who, { ...report, metrics: [window(t0 / 1000, 1)] }, t0);
    await recordUsageMetrics(db, who, { ...report, metrics: [window(t0 / 1000 + 1800, 2)] }, t0 + 1_800_000);
  });
  const human = await cli(env, ['machines', 'inspect', 'web-01']);
  const r = (n: number) => '─'.repeat(n);
  assert.equal(
    human.stdout,
    [
      ' Machine: web-01',
      r(40),
      ' IP Address',
      ' Created At        2026-07-24T09:00:00Z',
      ' Last Update       2026-07-24T09:30:00Z',
      ' Last Heartbeat    -',
      ' Validated?        true',
      ' CrowdSec version  v1.7.8',
      ' OS                debian/12',
      ' Auth type         password',
      ' Datasources       file: 2',
      ' Datasources       journalctl: 1',
      ' Feature Flags     re2_grok_support',
      ' Collections       crowdsecurity/linux',
      r(40),
      ' Acquisition Metrics',
      r(63),
      ' Source                                 Read  Parsed  Unparsed',
      r(63),
      ' file:/var/log/auth.log (tail)          300   240     60',
      ' file:/var/log/nginx/access.log (tail)  21    0       0',
      r(63),
      ' Parser Metrics',
      r(84),
      ' Source                         Parser                             Parsed  Unparsed',
      r(84),
      ' file:/var/log/auth.log (tail)  s00-raw/crowdsecurity/syslog-logs  240     0',
      ' file:/var/log/auth.log (tail)  s01-parse/crowdsecurity/sshd-logs  240     60',
      ' Postoverflows                  s00-enrich/crowdsecurity/rdns      9       0',
      r(84),
      '',
    ].join('\n'),
  );
  const json = JSON.parse((await cli(env, ['machines', 'inspect', 'web-01', '-o', 'json'])).stdout) as Record<string, unknown>;
  assert.deepEqual(json.datasources, { file: 2, journalctl: 1 });
  assert.deepEqual(json.featureflags, ['re2_grok_support']);
  assert.deepEqual(Object.keys(json).slice(-3), ['featureflags', 'datasources', 'metrics']);
  assert.deepEqual(json.metrics, {
    acquisition: [
      { source: 'file:/var/log/auth.log (tail)', read: 300, parsed: 240, unparsed: 60 },
      { source: 'file:/var/log/nginx/access.log (tail)', read: 21, parsed: 0, unparsed: 0 },
    ],
    parsers: [
      { source: 'file:/var/log/auth.log (tail)', parser: 'crowdsecurity/syslog-logs', stage: 's00-raw', parsed: 240, unparsed: 0 },
      { source: 'file:/var/log/auth.log (tail)', parser: 'crowdsecurity/sshd-logs', stage: 's01-parse', parsed: 240, unparsed: 60 },
      { source: 'Postoverflows', parser: 'crowdsecurity/rdns', stage: 's00-enrich', parsed: 9, unparsed: 0 },
    ],
  });
});
