import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashApiKey } from '../../src/auth/api-key.js';
import { allowlistsAdd } from '../../src/cli/allowlists/add.js';
import { allowlistsCheck } from '../../src/cli/allowlists/check.js';
import { CLI_ACTOR } from '../../src/cli/allowlists/common.js';
import { allowlistsCreate } from '../../src/cli/allowlists/create.js';
import { allowlistsList } from '../../src/cli/allowlists/list.js';
import { decisionsAdd } from '../../src/cli/decisions/add.js';
import { addItems, pageItems } from '../../src/store/allowlist-items.js';
import { addSubscribers, listSubscribers } from '../../src/store/allowlist-subscribers.js';
import { createAllowlist, getAllowlistByName } from '../../src/store/allowlists.js';
import { createBouncer } from '../../src/store/bouncers.js';
import { organizationId } from '../../src/store/instance.js';
import { createMachine } from '../../src/store/machines.js';
import { cli, cliEnv, withEnvDb, type CliEnv } from './helpers.js';

const rule = (n: number) => '─'.repeat(n);

async function orgOf(env: CliEnv): Promise<string> {
  return withEnvDb(env, (db) => organizationId(db, env.config.admin.organizationId));
}

/** The values of the active decisions, sorted (`decisions list -o json`). */
async function activeValues(env: CliEnv): Promise<string[]> {
  const r = await cli(env, ['decisions', 'list', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { decisions: { value: string }[] }[]).flatMap((a) => a.decisions.map((d) => d.value)).sort();
}

/** Everything allowlists are made of, to check that a refused command changed nothing. */
async function snapshot(env: CliEnv): Promise<string> {
  const lists = await withEnvDb(env, (db) => allowlistsList(db));
  return JSON.stringify(lists, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

test('allowlists create: cscli messages, required description, duplicates, org subscription unless --no-subscribe', async (t) => {
  const env = cliEnv(t);
  let r = await cli(env, ['allowlists', 'create']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', 'Error: lapis allowlists create: accepts 1 arg(s), received 0\n']);
  r = await cli(env, ['allowlist', 'create', 'foo']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', 'Error: lapis allowlists create: required flag(s) "description" not set\n']);
  r = await cli(env, ['allowlist', 'create', 'foo', '-d', 'A Foo']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, "allowlist 'foo' created successfully\n", '']);
  r = await cli(env, ['allowlist', 'create', 'foo', '-d', 'Another Foo']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', "Error: lapis allowlists create: allowlist 'foo' already exists\n"]);
  r = await cli(env, ['allowlists', 'create', 'Foo', '--description', 'Another Foo']);
  assert.deepEqual([r.code, r.stdout], [0, "allowlist 'Foo' created successfully\n"]);
  r = await cli(env, ['allowlists', 'create', 'bar', '-d', '', '--no-subscribe']);
  assert.deepEqual([r.code, r.stdout], [0, "allowlist 'bar' created successfully\n"]);

  const org = await orgOf(env);
  assert.match(org, /^lapis-[0-9a-f]{16}$/);
  await withEnvDb(env, async (db) => {
    const foo = (await getAllowlistByName(db, 'foo'))!;
    assert.equal(foo.description, 'A Foo');
    assert.deepEqual(await listSubscribers(db, foo.id), [{ allowlistId: foo.id, entityType: 'org', entityId: org }]);
    assert.equal((await listSubscribers(db, (await getAllowlistByName(db, 'Foo'))!.id)).length, 1);
    assert.deepEqual(await listSubscribers(db, (await getAllowlistByName(db, 'bar'))!.id), []);
  });
  r = await cli(env, ['allowlists', 'list', '-o', 'json']);
  const json = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.deepEqual(
    json.map(({ created_at: _c, updated_at: _u, allowlist_id: id, ...rest }) => {
      assert.match(String(id), /^[0-9a-f]{24}$/);
      return rest;
    }),
    [
      { description: 'A Foo', items: [], name: 'foo' },
      { description: 'Another Foo', items: [], name: 'Foo' },
      { items: [], name: 'bar' },
    ],
  );

  // a configured organization id is the one subscribed
  const acme = cliEnv(t, 'api:\n  admin:\n    organization_id: acme\n');
  assert.equal((await cli(acme, ['allowlists', 'create', 'a', '-d', 'a'])).code, 0);
  const subs = await withEnvDb(acme, async (db) => listSubscribers(db, (await getAllowlistByName(db, 'a'))!.id));
  assert.deepEqual(
    subs.map((s) => [s.entityType, s.entityId]),
    [['org', 'acme']],
  );
  await assert.rejects(
    withEnvDb(acme, (db) => allowlistsCreate(db, 'a', 'again', true)),
    { message: "allowlist 'a' already exists" },
  );
});

test('allowlists list and inspect: human tables with subscribers, raw CSV, json as the LAPI answers; expired items left out', async (t) => {
  const env = cliEnv(t);
  const empty = await cli(env, ['allowlists', 'list']);
  const emptyRule = rule(82);
  assert.equal(
    empty.stdout,
    `${emptyRule}\n Name  Description  Created at  Updated at  Managed by Console  Size  Subscribers\n${emptyRule}\n${emptyRule}\n`,
  );
  assert.equal(
    (await cli(env, ['allowlists', 'list', '-o', 'raw'])).stdout,
    'name,description,created_at,updated_at,console_managed,size\n',
  );
  assert.equal((await cli(env, ['allowlist', 'list', '-o', 'json'])).stdout, '[]\n');

  const t0 = Date.UTC(2026, 6, 24, 9, 0, 0);
  const far = Date.UTC(2099, 0, 1);
  await withEnvDb(env, async (db) => {
    await createMachine(db, { machineId: 'web-01', passwordHash: 'x', isValidated: true });
    const foo = await createAllowlist(db, 'foo', 'A Foo', t0);
    // expired: not shown, not counted
    await addItems(db, foo.id, { values: ['9.9.9.9'], description: '', expiresAt: t0 + 1000, actor: CLI_ACTOR }, t0);
    await addItems(db, foo.id, { values: ['1.2.3.4'], description: '', expiresAt: null, actor: CLI_ACTOR }, t0 + 60_000);
    await addItems(db, foo.id, { values: ['10.0.0.0/8'], description: 'lan, "core"', expiresAt: far, actor: CLI_ACTOR }, t0 + 120_000);
    await addSubscribers(db, foo.id, 'org', [await organizationId(db)], t0);
    await addSubscribers(db, foo.id, 'engine', ['web-01'], t0 + 1);
    await addSubscribers(db, foo.id, 'tag', ['edge'], t0 + 2);
    await createAllowlist(db, 'bar', '', t0 + 3_600_000);
  });
  const human = await cli(env, ['allowlists', 'list']);
  assert.equal(human.stderr, '');
  const r1 = rule(119);
  assert.equal(
    human.stdout,
    [
      r1,
      ' Name  Description  Created at            Updated at            Managed by Console  Size  Subscribers',
      r1,
      ' foo   A Foo        2026-07-24T09:00:00Z  2026-07-24T09:02:00Z  no                  2     org, engine:web-01, tag:edge',
      ' bar                2026-07-24T10:00:00Z  2026-07-24T10:00:00Z  no                  0     none',
      r1,
      '',
    ].join('\n'),
  );
  assert.equal(
    (await cli(env, ['allowlists', 'list', '-o', 'raw'])).stdout,
    'name,description,created_at,updated_at,console_managed,size\nfoo,A Foo,2026-07-24T09:00:00Z,2026-07-24T09:02:00Z,false,2\nbar,,2026-07-24T10:00:00Z,2026-07-24T10:00:00Z,false,0\n',
  );
  const json = JSON.parse((await cli(env, ['allowlists', 'list', '-o', 'json'])).stdout) as Record<string, unknown>[];
  assert.deepEqual(
    json.map(({ allowlist_id: _id, ...rest }) => rest),
    [
      {
        created_at: '2026-07-24T09:00:00.000Z',
        description: 'A Foo',
        items: [
          { created_at: '2026-07-24T09:01:00.000Z', expiration: '0001-01-01T00:00:00.000Z', value: '1.2.3.4' },
          {
            created_at: '2026-07-24T09:02:00.000Z',
            description: 'lan, "core"',
            expiration: '2099-01-01T00:00:00.000Z',
            value: '10.0.0.0/8',
          },
        ],
        name: 'foo',
        updated_at: '2026-07-24T09:02:00.000Z',
      },
      { created_at: '2026-07-24T10:00:00.000Z', items: [], name: 'bar', updated_at: '2026-07-24T10:00:00.000Z' },
    ],
  );

  const inspect = await cli(env, ['allowlists', 'inspect', 'foo']);
  assert.equal(inspect.stderr, '');
  const r2 = rule(50);
  const r3 = rule(69);
  assert.equal(
    inspect.stdout,
    [
      ' Allowlist: foo',
      r2,
      ' Name                foo',
      ' Description         A Foo',
      ' Created at          2026-07-24T09:00:00Z',
      ' Updated at          2026-07-24T09:02:00Z',
      ' Managed by Console  no',
      ' Subscribers         org, engine:web-01, tag:edge',
      r2,
      '',
      r3,
      ' Value       Comment      Expiration            Created at',
      r3,
      ' 1.2.3.4                  never                 2026-07-24T09:01:00Z',
      ' 10.0.0.0/8  lan, "core"  2099-01-01T00:00:00Z  2026-07-24T09:02:00Z',
      r3,
      '',
    ].join('\n'),
  );
  assert.equal(
    (await cli(env, ['allowlists', 'inspect', 'foo', '-o', 'raw'])).stdout,
    'name,description,value,comment,expiration,created_at,console_managed\n' +
      'foo,A Foo,1.2.3.4,,never,2026-07-24T09:01:00Z,false\n' +
      'foo,A Foo,10.0.0.0/8,"lan, ""core""",2099-01-01T00:00:00Z,2026-07-24T09:02:00Z,false\n',
  );
  const one = JSON.parse((await cli(env, ['allowlists', 'inspect', 'foo', '-o', 'json'])).stdout) as Record<string, unknown>;
  assert.deepEqual(one, { ...json[0], allowlist_id: one.allowlist_id });
  assert.match((await cli(env, ['allowlists', 'inspect', 'bar'])).stdout, / Subscribers {9}none\n/);
  const unknown = await cli(env, ['allowlists', 'inspect', 'nope']);
  assert.deepEqual(
    [unknown.code, unknown.stdout, unknown.stderr],
    [1, '', "Error: lapis allowlists inspect: allowlist 'nope' not found\n"],
  );
});

test('allowlists add: invalid values logged and skipped, duplicates warned, comment and expiration, bad -e', async (t) => {
  const env = cliEnv(t);
  let r = await cli(env, ['allowlist', 'add']);
  assert.deepEqual([r.code, r.stderr], [1, 'Error: lapis allowlists add: requires at least 2 arg(s), only received 0\n']);
  r = await cli(env, ['allowlist', 'add', 'foo']);
  assert.deepEqual([r.code, r.stderr], [1, 'Error: lapis allowlists add: requires at least 2 arg(s), only received 1\n']);
  r = await cli(env, ['allowlist', 'add', 'foo', 'bar']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', "Error: lapis allowlists add: allowlist 'foo' not found\n"]);

  await cli(env, ['allowlist', 'create', 'foo', '-d', 'a foo']);
  for (const [value, msg] of [
    ['bar', "invalid ip address 'bar'"],
    ['1.1.1.256', "invalid ip address '1.1.1.256'"],
    ['1.1.1.1/2/3', "invalid ip range '1.1.1.1/2/3': invalid CIDR address: 1.1.1.1/2/3"],
  ]) {
    r = await cli(env, ['allowlist', 'add', 'foo', value!]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', `${msg}\n`], value);
  }
  r = await cli(env, ['allowlist', 'add', 'foo', '1.2.3.4']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'added 1 values to allowlist foo\n', '']);
  r = await cli(env, ['allowlist', 'add', 'foo', '1.2.3.4']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'no new values for allowlist\n', 'value 1.2.3.4 already in allowlist\n']);
  // the same addresses, written otherwise
  r = await cli(env, ['allowlist', 'add', 'foo', '1.2.3.4/32', '::ffff:1.2.3.4']);
  assert.deepEqual(
    [r.stdout, r.stderr],
    ['no new values for allowlist\n', 'value 1.2.3.4/32 already in allowlist\nvalue ::ffff:1.2.3.4 already in allowlist\n'],
  );
  r = await cli(env, ['allowlist', 'add', 'foo', '5.6.7.8/24', '9.10.11.12', 'bad', '9.10.11.12']);
  assert.deepEqual(
    [r.code, r.stdout, r.stderr],
    [0, 'added 2 values to allowlist foo\n', "invalid ip address 'bad'\nvalue 9.10.11.12 already in allowlist\n"],
  );
  // json and raw drop warnings, not errors
  r = await cli(env, ['allowlist', 'add', 'foo', '1.2.3.4', 'nope', '-o', 'json']);
  assert.deepEqual([r.stdout, r.stderr], ['', "invalid ip address 'nope'\n"]);

  const before = await snapshot(env);
  for (const [e, msg] of [
    ['toto', 'invalid argument "toto" for "-e, --expiration" flag: time: invalid duration "toto"'],
    ['1 day', 'invalid argument "1 day" for "-e, --expiration" flag: invalid day value in duration "1 day"'],
    ['-1h', "the expiration must be positive, got '-1h'"],
  ]) {
    r = await cli(env, ['allowlist', 'add', 'foo', '10.10.10.10', '10.20.30.40', '-d', 'comment', '-e', e!]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `Error: lapis allowlists add: ${msg}\n`], e);
  }
  assert.equal(await snapshot(env), before);

  const now = Date.now();
  r = await cli(env, ['allowlist', 'add', 'foo', '10.10.10.10', '-d', 'comment', '-e', '1d']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'added 1 values to allowlist foo\n', '']);
  r = await cli(env, ['allowlist', 'add', 'foo', '10.20.30.40', '2001:db8::/64', '--comment', 'two', '--expiration', '1d12h']);
  assert.deepEqual([r.code, r.stdout], [0, 'added 2 values to allowlist foo\n']);
  r = await cli(env, ['allowlist', 'add', 'foo', '10.30.0.1', '-e', '0s']);
  assert.equal(r.stdout, 'added 1 values to allowlist foo\n');
  const items = await withEnvDb(env, async (db) => pageItems(db, (await getAllowlistByName(db, 'foo'))!.id, 0, 100, Date.now()));
  const by = new Map(items.map((i) => [i.value, i]));
  assert.deepEqual([...by.keys()], ['1.2.3.4', '5.6.7.8/24', '9.10.11.12', '10.10.10.10', '10.20.30.40', '2001:db8::/64', '10.30.0.1']);
  const day = 86_400_000;
  assert.equal(by.get('10.10.10.10')!.description, 'comment');
  assert.ok(Math.abs(by.get('10.10.10.10')!.expiresAt! - (now + day)) < 30_000);
  assert.ok(Math.abs(by.get('2001:db8::/64')!.expiresAt! - (now + 1.5 * day)) < 30_000);
  assert.equal(by.get('2001:db8::/64')!.description, 'two');
  assert.equal(by.get('10.30.0.1')!.expiresAt, null);
  assert.deepEqual(by.get('1.2.3.4')!.createdBy, { source_type: 'user', identifier: 'cli' });
  assert.equal(by.get('5.6.7.8/24')!.scope, 'range');

  const direct = await withEnvDb(env, (db) => allowlistsAdd(db, 'foo', ['1.2.3.4', 'x', '7.7.7.7']));
  assert.deepEqual(direct, { invalid: ["invalid ip address 'x'"], added: 1, skipped: ['1.2.3.4'], expired: 0 });
});

test('allowlists add expires the active decisions it covers when the organization subscribes (upstream cases)', async (t) => {
  const env = cliEnv(t);
  for (const argv of [
    ['-i', '1.2.3.4'],
    ['-r', '2.3.4.0/24'],
    ['-i', '5.4.3.42'],
    ['-r', '6.5.4.0/24'],
    ['-r', '10.0.0.0/23'],
    ['-i', '8.8.8.8'],
  ]) {
    assert.equal((await cli(env, ['decisions', 'add', ...argv])).code, 0);
  }
  assert.deepEqual(await activeValues(env), ['1.2.3.4', '10.0.0.0/23', '2.3.4.0/24', '5.4.3.42', '6.5.4.0/24', '8.8.8.8']);
  await cli(env, ['allowlists', 'create', 'foo', '-d', 'foo']);

  const steps: [string, string][] = [
    ['1.2.3.4', '1.2.3.4'], // exact
    ['2.3.4.42', '2.3.4.0/24'], // an IP inside a banned range
    ['5.4.3.0/24', '5.4.3.42'], // a range around a banned IP
    ['6.5.4.0/25', '6.5.4.0/24'], // a range inside a banned range
    ['10.0.0.0/24', '10.0.0.0/23'],
  ];
  for (const [item, gone] of steps) {
    const r = await cli(env, ['allowlists', 'add', 'foo', item]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'added 1 values to allowlist foo\n1 decisions deleted by allowlists\n', ''], item);
    assert.ok(!(await activeValues(env)).includes(gone), gone);
  }
  // a list nobody subscribes to ends nothing; when the organization subscribes, it does
  await cli(env, ['allowlists', 'create', 'later', '-d', 'later', '--no-subscribe']);
  let r = await cli(env, ['allowlists', 'add', 'later', '8.8.8.0/24']);
  assert.equal(r.stdout, 'added 1 values to allowlist later\n');
  assert.deepEqual(await activeValues(env), ['8.8.8.8']);
  const org = await orgOf(env);
  r = await cli(env, ['allowlists', 'subscribe', 'later', '-t', 'org']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, `subscribed ${org} to allowlist later\n1 decisions deleted by allowlists\n`, '']);
  assert.equal((await cli(env, ['decisions', 'list', '-o', 'json'])).stdout, '[]\n');
  // removing the items does not bring the decisions back
  assert.equal((await cli(env, ['allowlists', 'remove', 'foo', '1.2.3.4'])).stdout, 'removed 1 values from allowlist foo');
  assert.deepEqual(await activeValues(env), []);
});

test('decisions add and import skip values allowlisted by a list that has a subscriber, unless --bypass-allowlist', async (t) => {
  const env = cliEnv(t);
  await cli(env, ['allowlist', 'create', 'foo', '-d', 'a foo']);
  await cli(env, ['allowlist', 'add', 'foo', '192.168.0.0/16']);

  const refused = (v: string) =>
    `Error: lapis decisions add: ${v} is allowlisted by item 192.168.0.0/16 from foo, use --bypass-allowlist to add the decision anyway\n`;
  let r = await cli(env, ['decisions', 'add', '-i', '192.168.1.1']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', refused('192.168.1.1')]);
  r = await cli(env, ['decisions', 'add', '-r', '192.168.10.20/24']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', refused('192.168.10.20/24')]);
  r = await cli(env, ['decisions', 'add', '--scope', 'range', '--value', '192.0.0.0/8']);
  assert.deepEqual([r.code, r.stderr], [1, refused('192.0.0.0/8')]);
  r = await cli(env, ['decisions', 'add', '--scope', 'ip', '--value', '::ffff:192.168.3.3']);
  assert.deepEqual([r.code, r.stderr], [1, refused('::ffff:192.168.3.3')]);
  assert.deepEqual(await activeValues(env), []);

  r = await cli(env, ['decisions', 'add', '-i', '192.168.1.1', '--bypass-allowlist']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', 'Decision successfully added\n']);
  r = await cli(env, ['decisions', 'add', '-r', '192.168.10.20/24', '-B']);
  assert.deepEqual([r.code, r.stderr], [0, 'Decision successfully added\n']);
  // other scopes are not checked
  r = await cli(env, ['decisions', 'add', '--scope', 'username', '--value', '192.168.1.1']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await activeValues(env), ['192.168.1.1', '192.168.1.1', '192.168.10.20/24']);
  await assert.rejects(
    withEnvDb(env, (db) => decisionsAdd(db, { ip: '192.168.7.7' })),
    { message: refused('192.168.7.7').slice('Error: lapis decisions add: '.length, -1) },
  );
  assert.ok((await withEnvDb(env, (db) => decisionsAdd(db, { ip: '192.168.7.7', bypassAllowlist: true }))) > 0);

  // a list without subscribers applies nowhere
  await cli(env, ['allowlist', 'create', 'idle', '-d', 'nobody', '--no-subscribe']);
  await cli(env, ['allowlist', 'add', 'idle', '172.16.0.0/12']);
  r = await cli(env, ['decisions', 'add', '-i', '172.16.0.1']);
  assert.deepEqual([r.code, r.stderr], [0, 'Decision successfully added\n']);

  const values = join(env.dir, 'ips.txt');
  writeFileSync(values, '192.168.1.1\n');
  r = await cli(env, ['decisions', 'import', '-i', values, '--format', 'values']);
  assert.deepEqual(
    [r.code, r.stdout, r.stderr],
    [0, 'Parsing values\nValue 192.168.1.1 is allowlisted by [192.168.0.0/16 from foo]\nImported 0 decisions', ''],
  );
  // a lowercase scope is still an IP scope; reasons are printed as Go prints a list
  await cli(env, ['allowlist', 'create', 'bar', '-d', 'b']);
  await cli(env, ['allowlist', 'add', 'bar', '192.168.0.0/24', '-d', 'office']);
  const csv = join(env.dir, 'd.csv');
  writeFileSync(csv, 'value,scope\n192.168.0.0/24,range\n10.0.0.1,ip\n172.16.0.9,ip\nbob,username\n');
  r = await cli(env, ['decisions', 'import', '-i', csv]);
  assert.deepEqual(
    [r.code, r.stdout, r.stderr],
    [
      0,
      'Parsing csv\nValue 192.168.0.0/24 is allowlisted by [192.168.0.0/24 from bar (office) 192.168.0.0/16 from foo]\nImported 3 decisions',
      '',
    ],
  );
  r = await cli(env, ['decisions', 'import', '-i', values, '--format', 'values', '--bypass-allowlist']);
  assert.deepEqual([r.code, r.stdout], [0, 'Parsing values\nImported 1 decisions']);
  r = await cli(env, ['decisions', 'import', '-i', values, '--format', 'values', '-B']);
  assert.equal(r.stdout, 'Parsing values\nImported 1 decisions');
});

test('allowlists check: every value, reasons sorted by list name, lists without subscribers ignored, invalid values refused', async (t) => {
  const env = cliEnv(t);
  for (const [name, value] of [
    ['Uppercase', '192.168.0.0/28'],
    ['bar', '192.168.0.0/24'],
    ['foo', '192.168.0.0/16'],
  ]) {
    await cli(env, ['allowlists', 'create', name!, '-d', name!]);
    assert.equal((await cli(env, ['allowlists', 'add', name!, value!])).code, 0);
  }
  await cli(env, ['allowlists', 'create', 'idle', '-d', 'idle', '--no-subscribe']);
  await cli(env, ['allowlists', 'add', 'idle', '10.0.0.0/8', '192.168.0.1']);
  await cli(env, ['allowlists', 'add', 'foo', '2001:db8::/32', '-d', 'v6 lab']);
  let r = await cli(env, ['allowlist', 'check', '192.168.0.1']);
  assert.deepEqual(
    [r.code, r.stdout, r.stderr],
    [0, '192.168.0.1 is allowlisted by item 192.168.0.0/28 from Uppercase, 192.168.0.0/24 from bar, 192.168.0.0/16 from foo\n', ''],
  );
  // unlike cscli, a value that is not allowlisted does not stop the loop
  r = await cli(env, ['allowlists', 'check', '10.1.2.3', '192.168.200.1', '192.168.0.0/20', '2001:db8:1::1', '8.8.8.8']);
  assert.equal(
    r.stdout,
    [
      '10.1.2.3 is not allowlisted',
      '192.168.200.1 is allowlisted by item 192.168.0.0/16 from foo',
      '192.168.0.0/20 is allowlisted by item 192.168.0.0/28 from Uppercase, 192.168.0.0/24 from bar, 192.168.0.0/16 from foo',
      '2001:db8:1::1 is allowlisted by item 2001:db8::/32 from foo (v6 lab)',
      '8.8.8.8 is not allowlisted',
      '',
    ].join('\n'),
  );
  r = await cli(env, ['allowlists', 'check', '192.168.200.1', '8.8.8.8', '-o', 'json']);
  assert.deepEqual(JSON.parse(r.stdout), [
    { value: '192.168.200.1', allowlisted: true, reasons: ['192.168.0.0/16 from foo'] },
    { value: '8.8.8.8', allowlisted: false, reasons: [] },
  ]);
  r = await cli(env, ['allowlists', 'check', '8.8.8.8', 'bad', '1.1.1.1/2/3']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', "Error: lapis allowlists check: invalid ip address 'bad'\n"]);
  r = await cli(env, ['allowlists', 'check']);
  assert.deepEqual([r.code, r.stderr], [1, 'Error: lapis allowlists check: requires at least 1 arg(s), only received 0\n']);
  assert.deepEqual(await withEnvDb(env, (db) => allowlistsCheck(db, ['10.0.0.1'])), [{ value: '10.0.0.1', reasons: [] }]);
});

test('allowlists remove: only values present, no newline after the count, invalid values refused', async (t) => {
  const env = cliEnv(t);
  let r = await cli(env, ['allowlist', 'remove']);
  assert.deepEqual([r.code, r.stderr], [1, 'Error: lapis allowlists remove: requires at least 2 arg(s), only received 0\n']);
  r = await cli(env, ['allowlist', 'remove', 'foo']);
  assert.deepEqual([r.code, r.stderr], [1, 'Error: lapis allowlists remove: requires at least 2 arg(s), only received 1\n']);
  r = await cli(env, ['allowlist', 'remove', 'foo', '1.2.3.4']);
  assert.deepEqual([r.code, r.stderr], [1, "Error: lapis allowlists remove: allowlist 'foo' not found\n"]);
  await cli(env, ['allowlist', 'create', 'foo', '-d', 'a foo']);
  r = await cli(env, ['allowlist', 'remove', 'foo', '1.2.3.4']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'no value to remove from allowlist\n', '']);
  await cli(env, ['allowlist', 'add', 'foo', '1.2.3.4', '5.6.7.8', '10.0.0.0/24']);
  r = await cli(env, ['allowlist', 'remove', 'foo', '1.2.3.4']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'removed 1 values from allowlist foo', '']);
  r = await cli(env, ['allowlist', 'remove', 'foo', 'bad', '5.6.7.8']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', "Error: lapis allowlists remove: invalid ip address 'bad'\n"]);
  r = await cli(env, ['allowlist', 'remove', 'foo', '1.2.3.4', '5.6.7.8', '10.0.0.7/24']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'removed 2 values from allowlist foo', '']);
  const json = JSON.parse((await cli(env, ['allowlist', 'inspect', 'foo', '-o', 'json'])).stdout) as Record<string, unknown>;
  assert.deepEqual(json.items, []);
  assert.equal(json.description, 'a foo');
});

test('allowlists delete: with its items and subscriptions, --force accepted, unknown list refused', async (t) => {
  const env = cliEnv(t);
  let r = await cli(env, ['allowlist', 'delete']);
  assert.deepEqual([r.code, r.stderr], [1, 'Error: lapis allowlists delete: accepts 1 arg(s), received 0\n']);
  r = await cli(env, ['allowlist', 'delete', 'does-not-exist']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', "Error: lapis allowlists delete: allowlist 'does-not-exist' not found\n"]);
  await cli(env, ['allowlist', 'create', 'foo', '-d', 'A Foo']);
  await cli(env, ['allowlist', 'add', 'foo', '1.2.3.4']);
  const id = await withEnvDb(env, async (db) => (await getAllowlistByName(db, 'foo'))!.id);
  r = await cli(env, ['allowlist', 'delete', 'foo']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, "allowlist 'foo' deleted successfully\n", '']);
  await withEnvDb(env, async (db) => {
    assert.equal(await getAllowlistByName(db, 'foo'), undefined);
    assert.deepEqual(await listSubscribers(db, id), []);
    assert.deepEqual(await pageItems(db, id, 0, 10, Date.now()), []);
  });
  await cli(env, ['allowlist', 'create', 'foo', '-d', 'again']);
  r = await cli(env, ['allowlist', 'delete', 'foo', '--force']);
  assert.deepEqual([r.code, r.stdout], [0, "allowlist 'foo' deleted successfully\n"]);
  // a decision added while the list applied is allowed again once it is gone
  assert.equal((await cli(env, ['decisions', 'add', '-i', '1.2.3.4'])).code, 0);
});

test('allowlists subscribe and unsubscribe: types and aliases, per-id refusals, the organization by default', async (t) => {
  const env = cliEnv(t);
  await withEnvDb(env, async (db) => {
    await createMachine(db, { machineId: 'web-01', passwordHash: 'x', isValidated: true });
    await createBouncer(db, { name: 'fw', keyHash: hashApiKey('fw') });
  });
  await cli(env, ['allowlists', 'create', 'edge', '-d', 'edge', '--no-subscribe']);
  await cli(env, ['allowlists', 'add', 'edge', '7.7.7.0/24']);
  await cli(env, ['decisions', 'add', '-i', '7.7.7.7', '-B']);
  const org = await orgOf(env);

  let r = await cli(env, ['allowlists', 'subscribe', 'edge', 'web-01', '-t', 'machine']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'subscribed web-01 to allowlist edge\n', '']);
  // a list that applies to some entities only does not end decisions
  assert.deepEqual(await activeValues(env), ['7.7.7.7']);
  r = await cli(env, ['allowlists', 'subscribe', 'edge', 'fw', 'ghost', '--type', 'bouncer']);
  assert.deepEqual(
    [r.code, r.stdout, r.stderr],
    [0, 'subscribed fw to allowlist edge\n', "cannot subscribe ghost: no bouncer named 'ghost'\n"],
  );
  r = await cli(env, ['allowlists', 'subscribe', 'edge', 'edge', 'eu', '-t', 'tag']);
  assert.deepEqual([r.code, r.stdout], [0, 'subscribed edge to allowlist edge\nsubscribed eu to allowlist edge\n']);

  const before = await snapshot(env);
  const refusals: [string[], string][] = [
    [['edge', 'ghost', '-t', 'engine'], "cannot subscribe ghost: no machine named 'ghost'"],
    [
      ['edge', 'a', 'b', '-t', 'remediation_component_integration'],
      "cannot subscribe a: no bouncer named 'a'; cannot subscribe b: no bouncer named 'b'",
    ],
    [['edge', 'other', '-t', 'org'], `cannot subscribe other: unknown organization 'other': this instance's organization is '${org}'`],
    [['edge', ' ', '-t', 'tag'], 'cannot subscribe  : a tag cannot be empty'],
    [['edge', 'x'], 'required flag(s) "type" not set'],
    [
      ['edge', 'x', '-t', 'firewall_integration'],
      "invalid type 'firewall_integration': must be one of org, engine (or machine), remediation_component_integration (or bouncer), tag",
    ],
    [['edge', '-t', 'machine'], 'requires at least 2 arg(s), only received 1'],
    [['nope', '-t', 'org'], "allowlist 'nope' not found"],
    [[], 'requires at least 1 arg(s), only received 0'],
  ];
  for (const [argv, msg] of refusals) {
    r = await cli(env, ['allowlists', 'subscribe', ...argv]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `Error: lapis allowlists subscribe: ${msg}\n`], argv.join(' '));
  }
  assert.equal(await snapshot(env), before);
  assert.deepEqual(await activeValues(env), ['7.7.7.7']);

  r = await cli(env, ['allowlists', 'subscribe', 'edge', '-t', 'org']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, `subscribed ${org} to allowlist edge\n1 decisions deleted by allowlists\n`, '']);
  assert.deepEqual(await activeValues(env), []);
  assert.match(
    (await cli(env, ['allowlists', 'inspect', 'edge'])).stdout,
    / Subscribers {9}engine:web-01, remediation_component_integration:fw, tag:edge, tag:eu, org\n/,
  );

  const unsubscribeRefusals: [string[], string][] = [
    [['edge', 'web-01', 'ghost'], 'ghost is not subscribed to allowlist edge'],
    [['edge', 'web-01', '-t', 'bouncer'], 'web-01 is not subscribed to allowlist edge'],
    [['edge'], 'requires at least 2 arg(s), only received 1'],
    [
      ['edge', 'x', '-t', 'nope'],
      "invalid type 'nope': must be one of org, engine (or machine), remediation_component_integration (or bouncer), tag",
    ],
    [['nope', 'web-01'], "allowlist 'nope' not found"],
  ];
  const subscribed = await snapshot(env);
  for (const [argv, msg] of unsubscribeRefusals) {
    r = await cli(env, ['allowlists', 'unsubscribe', ...argv]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `Error: lapis allowlists unsubscribe: ${msg}\n`], argv.join(' '));
  }
  assert.equal(await snapshot(env), subscribed);
  r = await cli(env, ['allowlists', 'unsubscribe', 'edge', 'web-01', 'fw']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'unsubscribed web-01 from allowlist edge\nunsubscribed fw from allowlist edge\n', '']);
  r = await cli(env, ['allowlists', 'unsubscribe', 'edge', 'eu', '-t', 'tag']);
  assert.equal(r.stdout, 'unsubscribed eu from allowlist edge\n');
  r = await cli(env, ['allowlists', 'unsubscribe', 'edge', '-t', 'org']);
  assert.deepEqual([r.code, r.stdout], [0, `unsubscribed ${org} from allowlist edge\n`]);
  const left = await withEnvDb(env, async (db) => listSubscribers(db, (await getAllowlistByName(db, 'edge'))!.id));
  assert.deepEqual(
    left.map((s) => [s.entityType, s.entityId]),
    [['tag', 'edge']],
  );
  // decisions ended by the list stay ended
  assert.deepEqual(await activeValues(env), []);
});

test('machines tag and bouncers tag: add, remove, show; unknown names; deleting drops the tags', async (t) => {
  const env = cliEnv(t);
  await withEnvDb(env, async (db) => {
    await createMachine(db, { machineId: 'web-01', passwordHash: 'x', isValidated: true });
    await createBouncer(db, { name: 'fw', keyHash: hashApiKey('fw') });
    await createBouncer(db, { name: 'fw@192.0.2.1', keyHash: hashApiKey('fw'), ipAddress: '192.0.2.1', autoCreated: true });
  });
  let r = await cli(env, ['machines', 'tag', 'web-01']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'web-01 has no tags\n', '']);
  r = await cli(env, ['machines', 'tag', 'web-01', 'eu', 'edge', 'eu']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'tags of web-01: edge, eu\n', '']);
  r = await cli(env, ['machine', 'tag', 'web-01', 'eu', '--remove', '-o', 'json']);
  assert.deepEqual([r.code, r.stdout], [0, '[\n  "edge"\n]\n']);
  r = await cli(env, ['machines', 'tag', 'web-01', '-o', 'json']);
  assert.equal(r.stdout, '[\n  "edge"\n]\n');
  r = await cli(env, ['bouncers', 'tag', 'fw', 'edge']);
  assert.deepEqual([r.code, r.stdout], [0, 'tags of fw: edge\n']);
  r = await cli(env, ['bouncer', 'tag', 'fw@192.0.2.1', 'child']);
  assert.equal(r.stdout, 'tags of fw@192.0.2.1: child\n');

  for (const [argv, msg] of [
    [['machines', 'tag', 'ghost', 'x'], "lapis machines tag: machine 'ghost' not found"],
    [['bouncers', 'tag', 'ghost'], "lapis bouncers tag: bouncer 'ghost' not found"],
    [['machines', 'tag', 'web-01', '--remove'], 'lapis machines tag: --remove needs at least one tag'],
    [['bouncers', 'tag', 'fw', 'ok', ''], 'lapis bouncers tag: a tag cannot be empty'],
    [['machines', 'tag'], 'lapis machines tag: requires at least 1 arg(s), only received 0'],
  ] as [string[], string][]) {
    r = await cli(env, argv);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `Error: ${msg}\n`], argv.join(' '));
  }
  assert.equal((await cli(env, ['bouncers', 'tag', 'fw'])).stdout, 'tags of fw: edge\n');

  // a tag subscription makes the list apply somewhere: decisions add refuses what it covers
  await cli(env, ['allowlists', 'create', 'tagged', '-d', 't', '--no-subscribe']);
  await cli(env, ['allowlists', 'add', 'tagged', '203.0.113.0/24']);
  assert.equal((await cli(env, ['decisions', 'add', '-i', '203.0.113.5'])).code, 0);
  await cli(env, ['allowlists', 'subscribe', 'tagged', 'edge', '-t', 'tag']);
  r = await cli(env, ['decisions', 'add', '-i', '203.0.113.6']);
  assert.equal(
    r.stderr,
    'Error: lapis decisions add: 203.0.113.6 is allowlisted by item 203.0.113.0/24 from tagged, use --bypass-allowlist to add the decision anyway\n',
  );

  assert.equal((await cli(env, ['machines', 'delete', 'web-01'])).code, 0);
  assert.equal((await cli(env, ['bouncers', 'delete', 'fw'])).code, 0);
  const hourAgo = Date.now() - 3_600_000;
  await withEnvDb(env, async (db) => {
    await createMachine(db, { machineId: 'web-01', passwordHash: 'x', isValidated: true }, hourAgo);
    await createBouncer(db, { name: 'fw', keyHash: hashApiKey('fw2') }, hourAgo);
    await createBouncer(db, { name: 'fw@192.0.2.1', keyHash: hashApiKey('fw2'), ipAddress: '192.0.2.1', autoCreated: true }, hourAgo);
  });
  assert.equal((await cli(env, ['machines', 'tag', 'web-01'])).stdout, 'web-01 has no tags\n');
  assert.equal((await cli(env, ['bouncers', 'tag', 'fw'])).stdout, 'fw has no tags\n');
  assert.equal((await cli(env, ['bouncers', 'tag', 'fw@192.0.2.1'])).stdout, 'fw@192.0.2.1 has no tags\n');

  // prune too
  await cli(env, ['machines', 'tag', 'web-01', 'old']);
  await cli(env, ['bouncers', 'tag', 'fw', 'old']);
  assert.equal((await cli(env, ['machines', 'prune', '-d', '10m', '--force'])).code, 0);
  assert.equal((await cli(env, ['bouncers', 'prune', '-d', '10m', '--force'])).code, 0);
  await withEnvDb(env, async (db) => {
    await createMachine(db, { machineId: 'web-01', passwordHash: 'x', isValidated: true });
    await createBouncer(db, { name: 'fw', keyHash: hashApiKey('fw3') });
  });
  assert.equal((await cli(env, ['machines', 'tag', 'web-01'])).stdout, 'web-01 has no tags\n');
  assert.equal((await cli(env, ['bouncers', 'tag', 'fw'])).stdout, 'fw has no tags\n');
});

test('allowlists import: a CSV with value, expiration and comment; every row checked first; decisions covered end', async (t) => {
  const env = cliEnv(t);
  assert.equal((await cli(env, ['allowlists', 'create', 'foo', '-d', 'x'])).code, 0);
  await withEnvDb(env, (db) => decisionsAdd(db, { ip: '203.0.113.7' }));
  const file = (name: string, text: string) => {
    const p = join(env.dir, name);
    writeFileSync(p, text);
    return p;
  };
  const before = await snapshot(env);
  for (const [text, message] of [
    ['value,expiration,comment\n', 'no values to import'],
    ['value,expiration\n1.2.3.4,\n,1d\n', "row 2: missing 'value'"],
    ['value,expiration\n1.2.3.4,toto\n', 'row 1: invalid expiration "toto"'],
    ['value\n1.2.3.4\nbad-apple\n', "row 2: invalid ip address 'bad-apple'"],
    [
      'value,expiration,comment\n1.2.3.4,,ok\n5.6.7.8,1d,"unterminated\n',
      'unable to parse csv: parse error on line 3: extraneous or missing " in quoted-field',
    ],
    ['value,comment\r\n1.2.3.4,"ab"c\r\n', 'unable to parse csv: parse error on line 2: extraneous or missing " in quoted-field'],
  ] as const) {
    const r = await cli(env, ['allowlists', 'import', 'foo', '-i', file('bad.csv', text)]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `Error: lapis allowlists import: ${message}\n`]);
  }
  assert.equal(await snapshot(env), before);
  assert.equal(
    (await cli(env, ['allowlists', 'import', 'foo'])).stderr,
    'Error: lapis allowlists import: required flag(s) "input" not set\n',
  );
  assert.equal(
    (await cli(env, ['allowlists', 'import', 'nope', '-i', file('x.csv', 'value\n1.2.3.4\n')])).stderr,
    "Error: lapis allowlists import: allowlist 'nope' not found\n",
  );

  const ok = await cli(env, [
    'allowlists',
    'import',
    'foo',
    '-i',
    file('ok.csv', 'value,expiration,comment\n1.2.3.4,,office\n203.0.113.0/24,1d12h,lab\n2001:db8::/32,7d,lab\n'),
  ]);
  assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, 'added 3 values to allowlist foo\n1 decisions deleted by allowlists\n', '']);
  const again = await cli(env, ['allowlists', 'import', 'foo', '-i', file('ok.csv', 'value\n1.2.3.4\n')]);
  assert.deepEqual([again.code, again.stdout, again.stderr], [0, 'no new values for allowlist\n', 'value 1.2.3.4 already in allowlist\n']);
  const items = await withEnvDb(env, async (db) => pageItems(db, (await getAllowlistByName(db, 'foo'))!.id, 0, 10, Date.now()));
  assert.deepEqual(
    items.map((i) => [i.value, i.description, i.expiresAt === null ? 'never' : Math.round((i.expiresAt - i.createdAt) / 3600_000)]),
    [
      ['1.2.3.4', 'office', 'never'],
      ['203.0.113.0/24', 'lab', 36],
      ['2001:db8::/32', 'lab', 168],
    ],
  );
  assert.deepEqual(await activeValues(env), []);
});

test('allowlists import reads CSV as Go does: quoted commas, doubled quotes, CRLF', async (t) => {
  const env = cliEnv(t);
  assert.equal((await cli(env, ['allowlists', 'create', 'foo', '-d', 'x'])).code, 0);
  const p = join(env.dir, 'q.csv');
  writeFileSync(p, 'value,expiration,comment\r\n1.2.3.4,7d,"office, HQ"\r\n"5.6.7.8",,"the ""lab"""\r\n');
  const r = await cli(env, ['allowlists', 'import', 'foo', '-i', p]);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'added 2 values to allowlist foo\n', '']);
  const items = await withEnvDb(env, async (db) => pageItems(db, (await getAllowlistByName(db, 'foo'))!.id, 0, 10, Date.now()));
  assert.deepEqual(
    items.map((i) => [i.value, i.description, i.expiresAt === null ? 'never' : Math.round((i.expiresAt - i.createdAt) / 3600_000)]),
    [
      ['1.2.3.4', 'office, HQ', 168],
      ['5.6.7.8', 'the "lab"', 'never'],
    ],
  );
});
