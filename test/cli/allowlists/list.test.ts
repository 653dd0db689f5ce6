import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLI_ACTOR } from '../../../src/cli/allowlists/common.js';
import { addItems } from '../../../src/store/allowlist-items.js';
import { addSubscribers } from '../../../src/store/allowlist-subscribers.js';
import { createAllowlist } from '../../../src/store/allowlists.js';
import { organizationId } from '../../../src/store/instance.js';
import { createMachine } from '../../../src/store/machines.js';
import { cli, cliEnv, withEnvDb } from '../helpers.js';
import { rule } from './helpers.js';

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
