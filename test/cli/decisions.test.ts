import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashApiKey } from '../../src/auth/api-key.js';
import { decisionsAdd } from '../../src/cli/decisions/add.js';
import { parseDuration } from '../../src/domain/duration.js';
import { createBouncer } from '../../src/store/bouncers.js';
import { startTestServer } from '../helpers/server.js';
import { cli, cliEnv, runMain } from './helpers.js';
import { waitUntil } from '../helpers/wait.js';

test('decisions add, list (human, raw, json) and delete, with cscli messages', async (t) => {
  const env = cliEnv(t);
  let r = await cli(env, ['decisions', 'add', '-i', '192.0.2.1', '-d', '2h']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, 'Decision successfully added\n');
  r = await cli(env, ['decisions', 'add', '-r', '198.51.100.0/24', '-t', 'captcha', '-R', 'suspicious net']);
  assert.equal(r.code, 0, r.stderr);
  r = await cli(env, ['decisions', 'add', '--scope', 'username', '--value', 'bob']);
  assert.equal(r.code, 0, r.stderr);

  r = await cli(env, ['decisions', 'list']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Ip:192\.0\.2\.1 .*manual 'ban' from 'lapis' .* ban .* (1h59m5\d|2h0m0)s/);
  assert.match(r.stdout, /Range:198\.51\.100\.0\/24 .*suspicious net .* captcha/);
  r = await cli(env, ['decisions', 'list', '-o', 'raw']);
  assert.equal(r.stdout.split('\n')[0], 'id,source,ip,reason,action,country,as,events_count,expiration,simulated,alert_id');
  assert.equal(r.stdout.trim().split('\n').length, 4);
  r = await cli(env, ['decisions', 'list', '-o', 'json', '-i', '192.0.2.1']);
  const alerts = JSON.parse(r.stdout) as { decisions: { value: string; origin: string }[] }[];
  assert.deepEqual(
    alerts.map((a) => [a.decisions[0]!.value, a.decisions[0]!.origin]),
    [['192.0.2.1', 'cscli']],
  );

  r = await cli(env, ['decisions', 'delete', '-i', '192.0.2.1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '1 decision(s) deleted\n');
  r = await cli(env, ['decisions', 'delete', '--all']);
  assert.equal(r.stderr, '2 decision(s) deleted\n');
  r = await cli(env, ['decisions', 'list']);
  assert.equal(r.stdout, 'No active decisions\n');
});

test('decisions: bad input is one line and exit 1, nothing stored', async (t) => {
  const env = cliEnv(t);
  const cases: [string[], string][] = [
    [['decisions', 'add'], 'Error: lapis decisions add: missing arguments, a value is required (--ip, --range or --scope and --value)\n'],
    [['decisions', 'add', '-i', '1.2.3.999'], 'Error: lapis decisions add: 1.2.3.999 is not a valid ip\n'],
    [['decisions', 'add', '-r', '1.2.3.4/40'], 'Error: lapis decisions add: 1.2.3.4/40 is not a valid range\n'],
    [
      ['decisions', 'add', '-i', '1.2.3.4', '-d', 'toto'],
      'Error: lapis decisions add: invalid argument "toto" for "-d, --duration" flag: time: invalid duration "toto"\n',
    ],
    [['decisions', 'add', '-i', '1.2.3.4', '-d', '-1h'], "Error: lapis decisions add: the duration must be positive, got '-1h'\n"],
    [['decisions', 'delete'], 'Error: lapis decisions delete: at least one filter or --all must be specified\n'],
    [['decisions', 'delete', '--id', '42'], "Error: lapis decisions delete: decision with id '42' doesn't exist\n"],
    [
      ['decisions', 'list', '--since', '1zuzu'],
      'Error: lapis decisions list: since: while parsing duration: time: unknown unit "zuzu" in duration "1zuzu"\n',
    ],
  ];
  for (const [argv, stderr] of cases) {
    const r = await cli(env, argv);
    assert.equal(r.code, 1, argv.join(' '));
    assert.equal(r.stderr, stderr, argv.join(' '));
  }
  assert.equal((await cli(env, ['decisions', 'list'])).stdout, 'No active decisions\n');
});

test('decisions import: csv, json and values, batched, bad rows refused whole', async (t) => {
  const env = cliEnv(t);
  const csv = join(env.dir, 'd.csv');
  writeFileSync(csv, 'value,duration,reason\n192.0.2.10,1h,csv import\n192.0.2.11,,\n192.0.2.11,,\n');
  let r = await cli(env, ['decisions', 'import', '-i', csv]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Parsing csv\nImported 2 decisions');
  const values = join(env.dir, 'ips.txt');
  writeFileSync(values, Array.from({ length: 2500 }, (_, i) => `10.1.${i >> 8}.${i & 255}`).join('\n'));
  r = await cli(env, ['decisions', 'import', '-i', values, '--format', 'values', '--batch', '1000', '-d', '12h']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Parsing values\nYou are about to add 2500 decisions, this may take a while\nImported 2500 decisions');
  r = await cli(env, ['alerts', 'list', '-o', 'json', '-l', '0']);
  const scenarios = (JSON.parse(r.stdout) as { scenario: string }[]).map((a) => a.scenario).sort();
  assert.deepEqual(
    scenarios,
    [`import ${csv}: 2 IPs`, `import ${values}: 1000 IPs`, `import ${values}: 1000 IPs`, `import ${values}: 500 IPs`].sort(),
  );
  const json = join(env.dir, 'd.json');
  writeFileSync(json, JSON.stringify([{ value: '192.0.2.20' }, { value: 'bad-apple' }]));
  r = await cli(env, ['decisions', 'import', '-i', json]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "Error: lapis decisions import: item 2: invalid ip address 'bad-apple'\n");
  r = await cli(env, ['decisions', 'import', '-i', join(env.dir, 'x.txt')]);
  assert.equal(
    r.stderr,
    'Error: lapis decisions import: unable to guess format from file extension, please provide a format with --format flag\n',
  );
  r = await cli(env, ['decisions', 'import', '-i', values, '--format', 'xml']);
  assert.equal(r.stderr, "Error: lapis decisions import: invalid format 'xml', expected one of 'json', 'csv', 'values'\n");
  assert.equal((await cli(env, ['decisions', 'list', '-i', '192.0.2.20'])).stdout, 'No active decisions\n');
});

test('decisions import reads CSV as Go does: quoted commas, doubled quotes, CRLF; a malformed quote imports nothing', async (t) => {
  const env = cliEnv(t);
  const file = (name: string, text: string) => {
    const p = join(env.dir, name);
    writeFileSync(p, text);
    return p;
  };
  let r = await cli(env, [
    'decisions',
    'import',
    '-i',
    file('bad.csv', 'value,duration,reason\n192.0.2.1,1h,ok\n192.0.2.2,1h,"unterminated\n192.0.2.3,1h,x\n'),
  ]);
  assert.deepEqual(
    [r.code, r.stdout, r.stderr],
    [
      1,
      'Parsing csv\n',
      'Error: lapis decisions import: unable to parse csv: parse error on line 3: extraneous or missing " in quoted-field\n',
    ],
  );
  r = await cli(env, ['decisions', 'import', '-i', file('bare.csv', 'value,reason\r\n192.0.2.1,ok\r\n192.0.2.2,say "hi"\r\n')]);
  assert.deepEqual(
    [r.code, r.stderr],
    [1, 'Error: lapis decisions import: unable to parse csv: parse error on line 3: bare " in non-quoted-field\n'],
  );
  assert.equal((await cli(env, ['decisions', 'list'])).stdout, 'No active decisions\n');

  const csv = 'value,duration,reason\r\n1.2.3.4,7d,"office, HQ"\r\n\r\n1.2.3.5,1h,"say ""hi"", twice"\r\n"1.2.3.6",2h,"two\r\nlines"\r\n';
  r = await cli(env, ['decisions', 'import', '-i', file('ok.csv', csv)]);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'Parsing csv\nImported 3 decisions', '']);
  r = await cli(env, ['decisions', 'list', '-o', 'json']);
  const decisions = (JSON.parse(r.stdout) as { decisions: { value: string; scenario: string; duration: string }[] }[]).flatMap(
    (a) => a.decisions,
  );
  assert.deepEqual(decisions.map((d) => [d.value, d.scenario, Math.round(parseDuration(d.duration) / 3600_000)]).sort(), [
    ['1.2.3.4', 'office, HQ', 168],
    ['1.2.3.5', 'say "hi", twice', 1],
    ['1.2.3.6', 'two\r\nlines', 2],
  ]);
});

test('alerts list, inspect, delete and flush', async (t) => {
  const env = cliEnv(t);
  await cli(env, ['decisions', 'add', '-i', '192.0.2.1']);
  await cli(env, ['decisions', 'add', '-i', '192.0.2.2']);
  let r = await cli(env, ['alerts', 'list', '-o', 'raw']);
  assert.equal(r.stdout.split('\n')[0], 'id,scope,value,reason,country,as,decisions,created_at,kind');
  assert.match(r.stdout, /\n2,Ip,192\.0\.2\.2,manual 'ban' from 'lapis',,,ban:1,\S+Z,cscli\n/);
  r = await cli(env, ['alerts', 'inspect', '1']);
  assert.match(r.stdout, / - Scope:Value {2}: Ip:192\.0\.2\.1/);
  r = await cli(env, ['alerts', 'inspect', '1', '-o', 'json']);
  assert.equal((JSON.parse(r.stdout) as { id: number }).id, 1);
  assert.equal((await cli(env, ['alerts', 'inspect', 'x'])).stderr, 'Error: lapis alerts inspect: bad alert id x\n');
  r = await cli(env, ['alerts', 'delete', '--id', '1']);
  assert.equal(r.stderr, '1 alert(s) deleted\n');
  assert.equal(
    (await cli(env, ['alerts', 'delete', '--id', '1'])).stderr,
    'Error: lapis alerts delete: unable to delete alert: alert not found\n',
  );
  assert.equal(
    (await cli(env, ['alerts', 'delete'])).stderr,
    'Error: lapis alerts delete: at least one filter or --all must be specified\n',
  );
  r = await cli(env, ['alerts', 'flush', '--max-items', '1', '--max-age', '1s']);
  assert.equal(r.code, 0, r.stderr);
  // the remaining alert holds an active decision: kept
  assert.match((await cli(env, ['alerts', 'list'])).stdout, /192\.0\.2\.2/);
  r = await cli(env, ['alerts', 'delete', '--all']);
  assert.equal(r.stderr, '1 alert(s) deleted\n');
  assert.equal((await cli(env, ['alerts', 'list'])).stdout, 'No active alerts\n');
});

test("a decision added with the CLI reaches a running server's bouncers within 1.5 s; a spawned run works too", async (t) => {
  const srv = await startTestServer(t);
  await createBouncer(srv.db, { name: 'fw', keyHash: hashApiKey('fw-key') });
  await decisionsAdd(srv.db, { ip: '203.0.113.77', duration: '1h' });
  let body = 'null';
  const served = async () =>
    (body = await (await fetch(`${srv.url}/v1/decisions?ip=203.0.113.77`, { headers: { 'x-api-key': 'fw-key' } })).text());
  await waitUntil(async () => (await served()) !== 'null', 1500, 'the server to serve the decision');
  assert.match(body, /"value":"203\.0\.113\.77"/);

  const env = cliEnv(t);
  const run = await runMain(['decisions', 'add', '-i', '192.0.2.99', '-c', env.configPath]);
  assert.equal(run.code, 0, run.stderr);
  const list = await runMain(['decisions', 'list', '-o', 'json', '-c', env.configPath]);
  assert.equal(list.code, 0, list.stderr);
  assert.equal((JSON.parse(list.stdout) as { decisions: { value: string }[] }[])[0]!.decisions[0]!.value, '192.0.2.99');
});
