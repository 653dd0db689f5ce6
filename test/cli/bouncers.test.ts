import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashApiKey } from '../../src/auth/api-key.js';
import { bouncersAdd } from '../../src/cli/bouncers/add.js';
import { bouncersDelete } from '../../src/cli/bouncers/delete.js';
import { bouncersInspect } from '../../src/cli/bouncers/inspect.js';
import { bouncersList } from '../../src/cli/bouncers/list.js';
import { bouncersPruneCandidates, bouncersPruneDelete } from '../../src/cli/bouncers/prune.js';
import { createBouncer, getBouncer, setLastPull, updateBouncerSeen } from '../../src/store/bouncers.js';
import { recordUsageMetrics, type DetailedMetrics } from '../../src/store/usage-metrics.js';
import { cli, cliEnv, withEnvDb } from './helpers.js';

test('bouncers add: the key in human, raw (bare, no newline) and json; SHA-512 stored with an empty IP', async (t) => {
  const env = cliEnv(t);
  const human = await cli(env, ['bouncers', 'add', 'fw', '--key', 'my-key-0123456789']);
  assert.equal(human.code, 0);
  assert.equal(
    human.stdout,
    "API key for 'fw':\n\n   my-key-0123456789\n\nPlease keep this key since you will not be able to retrieve it!\n",
  );
  assert.equal(human.stderr, '');
  const b = await withEnvDb(env, (db) => getBouncer(db, 'fw'));
  assert.ok(b);
  assert.equal(b.keyHash, hashApiKey('my-key-0123456789'));
  assert.equal(b.ipAddress, '');
  assert.equal(b.authType, 'api-key');
  assert.equal(b.revoked, false);

  const raw = await cli(env, ['bouncers', 'add', 'fw2', '-o', 'raw']);
  assert.match(raw.stdout, /^[A-Za-z0-9+/]{43}$/);
  assert.equal((await withEnvDb(env, (db) => getBouncer(db, 'fw2')))!.keyHash, hashApiKey(raw.stdout));
  const json = await cli(env, ['bouncers', 'add', 'fw3', '-o', 'json', '-k', 'k<&>']);
  assert.equal(json.stdout, '"k\\u003c\\u0026\\u003e"');

  const dup = await cli(env, ['bouncers', 'add', 'fw', '-k', 'x']);
  assert.equal(dup.code, 1);
  assert.equal(dup.stderr, 'Error: lapis bouncers add: unable to create bouncer: bouncer fw already exists\n');
  const deprecated = await cli(env, ['bouncers', 'add', 'fw4', '-l', '32', '-o', 'raw']);
  assert.equal(deprecated.code, 0);
  assert.equal(deprecated.stderr, 'Flag --length has been deprecated, use --key instead\n');
  assert.equal(await withEnvDb(env, (db) => bouncersAdd(db, 'fn', 'fn-key')), 'fn-key');
});

test('bouncers list: human table, raw CSV with the validated column, json with cscli keys', async (t) => {
  const env = cliEnv(t);
  const t0 = Date.UTC(2026, 6, 24, 9, 0, 0);
  await withEnvDb(env, async (db) => {
    await createBouncer(db, { name: 'ciTestBouncer', keyHash: hashApiKey('a') }, t0);
    const fw = await createBouncer(db, { name: 'fw', keyHash: hashApiKey('b') }, t0 + 1000);
    await updateBouncerSeen(db, fw.id, { ipAddress: '192.0.2.1', type: 'crowdsec-firewall-bouncer', version: 'v0.0.31' }, t0 + 2000);
    await setLastPull(db, fw.id, t0 + 2500);
  });
  const raw = await cli(env, ['bouncers', 'list', '-o', 'raw']);
  assert.equal(
    raw.stdout,
    'name,ip,revoked,last_pull,type,version,auth_type\n' +
      'ciTestBouncer,,validated,,,,api-key\n' +
      'fw,192.0.2.1,validated,2026-07-24T09:00:02Z,crowdsec-firewall-bouncer,v0.0.31,api-key\n',
  );
  const human = await cli(env, ['bouncer', 'list']);
  const rule = '─'.repeat(103);
  assert.equal(
    human.stdout,
    [
      rule,
      ' Name           IP Address  Valid  Last API pull         Type                       Version  Auth Type',
      rule,
      ` ciTestBouncer              \u2714\ufe0f${' '.repeat(63)}api-key`,
      ' fw             192.0.2.1   \u2714\ufe0f     2026-07-24T09:00:02Z  crowdsec-firewall-bouncer  v0.0.31  api-key',
      rule,
      '',
    ].join('\n'),
  );
  const json = await cli(env, ['bouncers', 'list', '-o', 'json']);
  assert.deepEqual(JSON.parse(json.stdout), [
    {
      created_at: '2026-07-24T09:00:00Z',
      updated_at: '2026-07-24T09:00:00Z',
      name: 'ciTestBouncer',
      revoked: false,
      ip_address: '',
      type: '',
      version: '',
      last_pull: null,
      auth_type: 'api-key',
      os: '?',
      auto_created: false,
    },
    {
      created_at: '2026-07-24T09:00:01Z',
      updated_at: '2026-07-24T09:00:02Z',
      name: 'fw',
      revoked: false,
      ip_address: '192.0.2.1',
      type: 'crowdsec-firewall-bouncer',
      version: 'v0.0.31',
      last_pull: '2026-07-24T09:00:02.5Z',
      auth_type: 'api-key',
      os: '?',
      auto_created: false,
    },
  ]);
  assert.match(json.stdout, /^\[\n {2}\{\n {4}"created_at": "2026-07-24T09:00:00Z",\n/);
  assert.equal((await withEnvDb(env, (db) => bouncersList(db))).length, 2);
  assert.equal((await cli(cliEnv(t), ['bouncers', 'list', '-o', 'json'])).stdout, '[]\n');
});

test('bouncers delete: a parent takes its name@ip children, a child is refused with a warning, a missing one is fatal', async (t) => {
  const env = cliEnv(t);
  await withEnvDb(env, async (db) => {
    await createBouncer(db, { name: 'fw', keyHash: hashApiKey('k') });
    await createBouncer(db, { name: 'fw@192.0.2.2', keyHash: hashApiKey('k'), ipAddress: '192.0.2.2', autoCreated: true });
    await createBouncer(db, { name: 'fw@192.0.2.3', keyHash: hashApiKey('k'), ipAddress: '192.0.2.3', autoCreated: true });
    await createBouncer(db, { name: 'other', keyHash: hashApiKey('o') });
    await createBouncer(db, { name: 'tls-one', keyHash: '', authType: 'tls' });
  });
  const child = await cli(env, ['bouncers', 'delete', 'fw@192.0.2.2']);
  assert.equal(child.code, 0);
  assert.equal(child.stderr, "bouncer 'fw@192.0.2.2' is auto-created and cannot be deleted, delete parent bouncer fw instead\n");
  assert.ok(await withEnvDb(env, (db) => getBouncer(db, 'fw@192.0.2.2')));

  const missing = await cli(env, ['bouncers', 'delete', 'tls-one', 'ghost', 'other']);
  assert.equal(missing.code, 1);
  assert.equal(
    missing.stderr,
    "bouncer 'tls-one' deleted successfully\nError: lapis bouncers delete: unable to delete bouncer ghost: ent: bouncer not found\n",
  );
  assert.ok(await withEnvDb(env, (db) => getBouncer(db, 'other')));
  const ignored = await cli(env, ['bouncers', 'delete', 'ghost', 'other', '--ignore-missing']);
  assert.equal(ignored.stderr, "bouncer 'other' deleted successfully\n");
  assert.equal(ignored.code, 0);

  const parent = await cli(env, ['bouncers', 'remove', 'fw']);
  assert.equal(parent.code, 0);
  assert.equal(
    parent.stderr,
    "bouncer 'fw@192.0.2.2' deleted successfully\nbouncer 'fw@192.0.2.3' deleted successfully\nbouncer 'fw' deleted successfully\n",
  );
  assert.deepEqual(await withEnvDb(env, (db) => bouncersList(db)), []);
  await assert.rejects(
    withEnvDb(env, (db) => bouncersDelete(db, ['fw'], false)),
    { message: 'unable to delete bouncer fw: ent: bouncer not found' },
  );
});

test('bouncers prune: last pull or creation older than the duration; confirmation or --force', async (t) => {
  const env = cliEnv(t);
  const now = Date.now();
  const hour = 3600_000;
  await withEnvDb(env, async (db) => {
    const old = await createBouncer(db, { name: 'old-pull', keyHash: 'h1' }, now - 3 * hour);
    await setLastPull(db, old.id, now - 2 * hour);
    await createBouncer(db, { name: 'never-old', keyHash: 'h2' }, now - 3 * hour);
    const fresh = await createBouncer(db, { name: 'fresh-pull', keyHash: 'h3' }, now - 3 * hour);
    await setLastPull(db, fresh.id, now - 60_000);
    await createBouncer(db, { name: 'never-new', keyHash: 'h4' }, now);
  });
  const names = async (d: number) => (await withEnvDb(env, (db) => bouncersPruneCandidates(db, d, now))).map((b) => b.name);
  assert.deepEqual(await names(hour), ['old-pull', 'never-old']);
  assert.deepEqual(await names(4 * hour), []);

  const refused = await cli(env, ['bouncers', 'prune']);
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr,
    'Error: lapis bouncers prune: pruning 2 bouncer(s) needs a confirmation, but stdin is not a terminal: use --force to proceed without asking\n',
  );
  const abort = await cli(env, ['bouncers', 'prune'], { answers: [false] });
  assert.match(abort.stdout, /\nUser aborted prune\. No changes were made\.\n$/);
  const forced = await cli(env, ['bouncers', 'prune', '--force', '-d', '1h']);
  assert.equal(forced.code, 0);
  assert.equal(forced.stderr, 'Successfully deleted 2 bouncers\n');
  assert.match(forced.stdout, /\n old-pull {3}/);
  assert.deepEqual(
    (await withEnvDb(env, (db) => bouncersList(db))).map((b) => b.name),
    ['fresh-pull', 'never-new'],
  );
  assert.equal((await cli(env, ['bouncers', 'prune', '-d', '1d', '--force'])).stdout, 'No bouncers to prune.\n');
  const progress: number[] = [];
  const left = await withEnvDb(env, (db) => bouncersList(db));
  assert.equal(await withEnvDb(env, (db) => bouncersPruneDelete(db, left, (n) => progress.push(n))), 2);
  assert.deepEqual(progress, [2]);
});

test('bouncers inspect: key/value table, json as list, raw refused, unknown name', async (t) => {
  const env = cliEnv(t);
  const t0 = Date.UTC(2026, 6, 24, 9, 0, 0);
  await withEnvDb(env, (db) => createBouncer(db, { name: 'fw@192.0.2.9', keyHash: 'h', ipAddress: '192.0.2.9', autoCreated: true }, t0));
  const human = await cli(env, ['bouncers', 'inspect', 'fw@192.0.2.9']);
  assert.equal(
    human.stdout,
    [
      ' Bouncer: fw@192.0.2.9',
      '─'.repeat(36),
      ' Created At    2026-07-24T09:00:00Z',
      ' Last Update   2026-07-24T09:00:00Z',
      ' Revoked?      false',
      ' IP Address    192.0.2.9',
      ' Type',
      ' Version',
      ' Last Pull',
      ' Auth type     api-key',
      ' OS            ?',
      ' Auto Created  true',
      '─'.repeat(36),
      '',
    ].join('\n'),
  );
  const json = JSON.parse((await cli(env, ['bouncers', 'inspect', 'fw@192.0.2.9', '-o', 'json'])).stdout) as Record<string, unknown>;
  assert.equal(json.auto_created, true);
  assert.equal(json.last_pull, null);
  const raw = await cli(env, ['bouncers', 'inspect', 'fw@192.0.2.9', '-o', 'raw']);
  assert.equal(raw.stderr, "Error: lapis bouncers inspect: output format 'raw' not supported for this command\n");
  const unknown = await cli(env, ['bouncers', 'inspect', 'nope']);
  assert.equal(unknown.stderr, "Error: lapis bouncers inspect: unable to read bouncer data 'nope': ent: bouncer not found\n");
  assert.equal(unknown.code, 1);
  assert.equal((await withEnvDb(env, (db) => bouncersInspect(db, 'fw@192.0.2.9'))).bouncer.ipAddress, '192.0.2.9');
});

/** 2026-07-24T09:00:00Z in unix seconds, as usage-metrics windows carry time. */
const T0S = Date.UTC(2026, 6, 24, 9, 0, 0) / 1000;

test('bouncers inspect: OS, feature flags, version, then the usage table of what the bouncer pushed; json adds metrics', async (t) => {
  const env = cliEnv(t);
  const t0 = Date.UTC(2026, 6, 24, 9, 0, 0);
  const window = (at: number, active: number, dropped: number): DetailedMetrics => ({
    meta: { window_size_seconds: 900, utc_now_timestamp: at },
    items: [
      { name: 'active_decisions', unit: 'ip', value: active, labels: { ip_type: 'ipv4', origin: 'CAPI' } },
      { name: 'active_decisions', unit: 'ip', value: 2, labels: { ip_type: 'ipv6', origin: 'CAPI' } },
      { name: 'dropped', unit: 'packet', value: dropped, labels: { ip_type: 'ipv4', origin: 'CAPI' } },
      { name: 'dropped', unit: 'packet', value: 4, labels: { ip_type: 'ipv4', origin: 'lists:firehol' } },
      { name: 'processed', unit: 'packet', value: 1000, labels: { ip_type: 'ipv4' } },
    ],
  });
  await withEnvDb(env, async (db) => {
    const b = await createBouncer(db, { name: 'fw', keyHash: 'h' }, t0);
    const who = { kind: 'RC' as const, bouncerId: b.id, bouncerName: 'fw', type: 'crowdsec-firewall-bouncer' };
    const report = { version: 'v0.0.31', os: { name: 'debian', version: '12' }, featureFlags: ['a', 'b'] };
    await recordUsageMetrics(db, who, { ...report, metrics: [window(T0S, 1500, 10)] }, t0);
    await recordUsageMetrics(db, who, { ...report, metrics: [window(T0S + 900, 1490, 2500)] }, t0 + 900_000);
    await createBouncer(db, { name: 'quiet', keyHash: 'q' }, t0);
  });
  const human = await cli(env, ['bouncers', 'inspect', 'fw']);
  const r = (n: number) => '─'.repeat(n);
  assert.equal(
    human.stdout,
    [
      ' Bouncer: fw',
      r(37),
      ' Created At     2026-07-24T09:00:00Z',
      ' Last Update    2026-07-24T09:15:00Z',
      ' Revoked?       false',
      ' IP Address',
      ' Type',
      ' Version        v0.0.31',
      ' Last Pull',
      ' Auth type      api-key',
      ' OS             debian/12',
      ' Auto Created   false',
      ' Feature Flags  a',
      ' Feature Flags  b',
      r(37),
      ' Bouncer Metrics (fw) since 2026-07-24 09:00:00 +0000 UTC',
      r(92),
      ' Origin                      active_decisions (IPs)  dropped (packets)  processed (packets)',
      r(92),
      ' CAPI (community blocklist)  1.49k                   2.51k              -',
      ' lists:firehol               -                       8                  -',
      ' Total                       1.49k                   2.52k              2.00k',
      r(92),
      '',
    ].join('\n'),
  );
  const json = JSON.parse((await cli(env, ['bouncers', 'inspect', 'fw', '-o', 'json'])).stdout) as Record<string, unknown>;
  assert.equal(json.os, 'debian/12');
  assert.deepEqual(json.featureflags, ['a', 'b']);
  const item = (name: string, unit: string, origin: string, ip_type: string, value: number) => ({
    name,
    unit,
    origin,
    remediation: '',
    ip_type,
    value,
  });
  assert.deepEqual(json.metrics, {
    since: '2026-07-24T09:00:00Z',
    items: [
      item('active_decisions', 'ip', 'CAPI', 'ipv4', 1490),
      item('active_decisions', 'ip', 'CAPI', 'ipv6', 2),
      item('dropped', 'packet', 'CAPI', 'ipv4', 2510),
      item('dropped', 'packet', 'lists:firehol', 'ipv4', 8),
      item('processed', 'packet', '', 'ipv4', 2000),
    ],
  });
  // a bouncer that never pushed: no usage table, empty metrics
  const quiet = await cli(env, ['bouncers', 'inspect', 'quiet']);
  assert.ok(!quiet.stdout.includes('Bouncer Metrics'));
  const quietJson = JSON.parse((await cli(env, ['bouncers', 'inspect', 'quiet', '-o', 'json'])).stdout) as Record<string, unknown>;
  assert.deepEqual(quietJson.metrics, { since: null, items: [] });
});
