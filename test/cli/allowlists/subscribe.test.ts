import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashApiKey } from '../../../src/auth/api-key.js';
import { listSubscribers } from '../../../src/store/allowlist-subscribers.js';
import { getAllowlistByName } from '../../../src/store/allowlists.js';
import { createBouncer } from '../../../src/store/bouncers.js';
import { createMachine } from '../../../src/store/machines.js';
import { cli, cliEnv, withEnvDb } from '../helpers.js';
import { orgOf, activeValues, snapshot } from './helpers.js';

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
    [0, 'subscribed fw to allowlist edge\n', "cannot subscribe ghost: no bouncer or remediation component integration 'ghost'\n"],
  );
  r = await cli(env, ['allowlists', 'subscribe', 'edge', 'edge', 'eu', '-t', 'tag']);
  assert.deepEqual([r.code, r.stdout], [0, 'subscribed edge to allowlist edge\nsubscribed eu to allowlist edge\n']);

  const before = await snapshot(env);
  const refusals: [string[], string][] = [
    [['edge', 'ghost', '-t', 'engine'], "cannot subscribe ghost: no machine named 'ghost'"],
    [
      ['edge', 'a', 'b', '-t', 'remediation_component_integration'],
      "cannot subscribe a: no bouncer or remediation component integration 'a'; cannot subscribe b: no bouncer or remediation component integration 'b'",
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
