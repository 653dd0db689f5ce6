import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blocklistsAdd } from '../../../src/cli/blocklists/add.js';
import { blocklistsCreate } from '../../../src/cli/blocklists/create.js';
import { getBlocklistByName } from '../../../src/store/blocklists.js';
import { createMachine } from '../../../src/store/machines.js';
import { cli, cliEnv, withEnvDb } from '../helpers.js';
import { assertRefusals, rule, snapshot } from './helpers.js';

const t0 = Date.UTC(2026, 6, 24, 9, 0, 0);

test('blocklists create: custom or URL-fed; bad names, URLs and refresh intervals are one line each', async (t) => {
  const env = cliEnv(t);
  let r = await cli(env, ['blocklists', 'create', 'scanners', '-d', 'known scanners', '--label', 'Scanners']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, "blocklist 'scanners' created successfully\n", '']);
  const before = await snapshot(env);
  await assertRefusals(env, 'blocklists', 'create', [
    [['blocklists', 'create'], 'accepts 1 arg(s), received 0'],
    [['blocklists', 'create', 'scanners'], "blocklist 'scanners' already exists"],
    [['blocklists', 'create', 'f', '--url', 'ftp://example.com/x'], "feed url must be http or https: 'ftp://example.com/x'"],
    [['blocklists', 'create', 'f', '--url', 'not a url'], "feed url is not a valid URL: 'not a url'"],
    [['blocklists', 'create', 'f', '--refresh', '1h'], '--refresh needs --url'],
    [
      ['blocklists', 'create', 'f', '--url', 'https://example.com/x', '--refresh', '30s'],
      'the refresh interval must be at least 1m, got 30s',
    ],
    [
      ['blocklists', 'create', 'f', '--url', 'https://example.com/x', '--refresh', 'soon'],
      'invalid argument "soon" for "--refresh" flag: time: invalid duration "soon"',
    ],
    [['blocklists', 'create', ''], 'a blocklist name must be 1 to 200 characters'],
  ]);
  assert.equal(await snapshot(env), before);

  r = await cli(env, ['blocklists', 'create', 'drop', '--url', 'https://www.spamhaus.org/drop/drop.txt', '--refresh', '6h', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const shown = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual(
    { ...shown, id: 'x', created_at: 'x', updated_at: 'x' },
    {
      id: 'x',
      name: 'drop',
      label: 'drop',
      description: '',
      kind: 'feed',
      items: 0,
      created_at: 'x',
      updated_at: 'x',
      feed: { url: 'https://www.spamhaus.org/drop/drop.txt', refresh: '6h0m0s', last_check: null, last_success: null, error: null },
      subscribers: [],
    },
  );
  const drop = await withEnvDb(env, (db) => getBlocklistByName(db, 'drop'));
  assert.deepEqual([drop?.kind, drop?.feed?.url, drop?.feed?.refreshMs], ['feed', 'https://www.spamhaus.org/drop/drop.txt', 6 * 3600_000]);
  const scanners = await withEnvDb(env, (db) => getBlocklistByName(db, 'scanners'));
  assert.deepEqual(
    [scanners?.kind, scanners?.label, scanners?.description, scanners?.feed],
    ['custom', 'Scanners', 'known scanners', null],
  );
});

test('blocklists list and inspect: human tables, raw CSV, json; lapi counted from the active decisions; raw inspect refused', async (t) => {
  const env = cliEnv(t);
  const lapi = (await withEnvDb(env, (db) => getBlocklistByName(db, 'lapi')))!;
  const lapiAt = new Date(lapi.updatedAt).toISOString().replace(/\.\d+Z$/, 'Z');
  await withEnvDb(env, async (db) => {
    await createMachine(db, { machineId: 'web-01', passwordHash: 'x', isValidated: true });
    await blocklistsCreate(db, 'scanners', { description: 'known scanners' }, t0);
    await blocklistsAdd(db, 'scanners', ['192.0.2.7', '10.0.0.0/8', '2001:db8::/64'], null, t0 + 60_000);
    await blocklistsAdd(db, 'scanners', ['198.51.100.1'], Date.UTC(2099, 0, 1), t0 + 120_000);
    await blocklistsCreate(db, 'empty', { label: 'Empty list' }, t0 + 3_600_000);
  });
  let r = await cli(env, ['blocklists', 'subscribe', 'scanners', '--type', 'engine', '--id', 'web-01', '--remediation', 'captcha']);
  assert.equal(r.code, 0, r.stderr);
  r = await cli(env, ['blocklists', 'subscribe', 'scanners', '--type', 'tag', '--id', 'edge']);
  assert.equal(r.code, 0, r.stderr);
  const scanners = (await withEnvDb(env, (db) => getBlocklistByName(db, 'scanners')))!;
  const scAt = new Date(scanners.updatedAt).toISOString().replace(/\.\d+Z$/, 'Z');
  assert.equal(scAt, '2026-07-24T09:02:00Z');

  r = await cli(env, ['blocklists', 'list']);
  // oldest first: the built-in list was made when the database was migrated, after t0
  const w = rule(84);
  assert.deepEqual(
    [r.code, r.stderr, r.stdout],
    [
      0,
      '',
      [
        w,
        ' Name      Label       Kind    Items  Subscribers              Updated at',
        w,
        ' scanners  scanners    custom  4      engine:web-01, tag:edge  2026-07-24T09:02:00Z',
        ' empty     Empty list  custom  0      none                     2026-07-24T10:00:00Z',
        ` lapi      lapi        lapi    -      none                     ${lapiAt}`,
        w,
        '',
      ].join('\n'),
    ],
  );
  r = await cli(env, ['blocklists', 'list', '-o', 'raw']);
  assert.equal(
    r.stdout,
    [
      'name,label,kind,items,subscribers,updated_at',
      'scanners,scanners,custom,4,"engine:web-01, tag:edge",2026-07-24T09:02:00Z',
      'empty,Empty list,custom,0,none,2026-07-24T10:00:00Z',
      `lapi,lapi,lapi,-,none,${lapiAt}`,
      '',
    ].join('\n'),
  );
  const json = JSON.parse((await cli(env, ['blocklists', 'list', '-o', 'json'])).stdout) as Record<string, unknown>[];
  assert.deepEqual(
    json.map((l) => [l.name, l.kind, l.items, l.subscribers]),
    [
      [
        'scanners',
        'custom',
        4,
        [
          { entity_type: 'engine', id: 'web-01', remediation: 'captcha' },
          { entity_type: 'tag', id: 'edge', remediation: 'ban' },
        ],
      ],
      ['empty', 'custom', 0, []],
      ['lapi', 'lapi', null, []],
    ],
  );
  assert.deepEqual(json[0], {
    id: scanners.id,
    name: 'scanners',
    label: 'scanners',
    description: 'known scanners',
    kind: 'custom',
    items: 4,
    created_at: '2026-07-24T09:00:00Z',
    updated_at: '2026-07-24T09:02:00Z',
    feed: null,
    subscribers: json[0]!.subscribers,
  });

  r = await cli(env, ['blocklists', 'inspect', 'scanners']);
  assert.equal(r.stderr, '');
  const a = rule(39);
  const b = rule(44);
  const c = rule(59);
  assert.equal(
    r.stdout,
    [
      ' Blocklist: scanners',
      a,
      ' Name         scanners',
      ` ID           ${scanners.id}`,
      ' Label        scanners',
      ' Description  known scanners',
      ' Kind         custom',
      ' Items        4',
      ' Created at   2026-07-24T09:00:00Z',
      ' Updated at   2026-07-24T09:02:00Z',
      a,
      '',
      b,
      ' Subscriber type  ID      Name  Remediation',
      b,
      ' engine           web-01        captcha',
      ' tag              edge          ban',
      b,
      '',
      c,
      ' Value          Expiration            Created at',
      c,
      ' 10.0.0.0/8     never                 2026-07-24T09:01:00Z',
      ' 192.0.2.7      never                 2026-07-24T09:01:00Z',
      ' 198.51.100.1   2099-01-01T00:00:00Z  2026-07-24T09:02:00Z',
      ' 2001:db8::/64  never                 2026-07-24T09:01:00Z',
      c,
      '',
    ].join('\n'),
  );
  const inspected = JSON.parse((await cli(env, ['blocklists', 'inspect', 'scanners', '-o', 'json'])).stdout) as Record<string, unknown>;
  assert.deepEqual(inspected.first_items, [
    { value: '10.0.0.0/8', expiration: null, created_at: '2026-07-24T09:01:00Z' },
    { value: '192.0.2.7', expiration: null, created_at: '2026-07-24T09:01:00Z' },
    { value: '198.51.100.1', expiration: '2099-01-01T00:00:00Z', created_at: '2026-07-24T09:02:00Z' },
    { value: '2001:db8::/64', expiration: null, created_at: '2026-07-24T09:01:00Z' },
  ]);
  assert.equal(inspected.items, 4);

  // the built-in list: the active IP and range decisions, counted and shown
  for (const argv of [
    ['-i', '203.0.113.9'],
    ['-r', '198.18.0.0/15'],
  ])
    assert.equal((await cli(env, ['decisions', 'add', ...argv])).code, 0);
  const l = JSON.parse((await cli(env, ['blocklists', 'inspect', 'lapi', '-o', 'json'])).stdout) as Record<string, unknown>;
  assert.deepEqual(
    [l.kind, l.items, l.first_items],
    [
      'lapi',
      2,
      [
        { value: '198.18.0.0/15', expiration: null, created_at: null },
        { value: '203.0.113.9', expiration: null, created_at: null },
      ],
    ],
  );
  // more items than inspect shows: a pointer to download
  await withEnvDb(env, (db) =>
    blocklistsAdd(
      db,
      'empty',
      Array.from({ length: 25 }, (_, i) => `192.0.2.${i}`),
      null,
    ),
  );
  r = await cli(env, ['blocklists', 'inspect', 'empty']);
  assert.ok(r.stdout.endsWith('... and 5 more (lapis blocklists download empty)\n'), r.stdout);
  assert.equal((r.stdout.match(/^ 192\.0\.2\./gm) ?? []).length, 20);

  await assertRefusals(env, 'blocklists', 'inspect', [
    [['blocklists', 'inspect', 'nope'], "blocklist 'nope' not found"],
    [['blocklists', 'inspect', 'scanners', '-o', 'raw'], "output format 'raw' not supported for this command"],
  ]);
});
