import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { decisionsAdd } from '../../src/cli/decisions/add.js';
import { loadConfig } from '../../src/config/load.js';
import { parseIpOrRange } from '../../src/domain/ip-range.js';
import { addItems } from '../../src/store/allowlist-items.js';
import { createAllowlist } from '../../src/store/allowlists.js';
import { usingDb } from '../../src/store/db.js';
import { addBlocklistItems, createBlocklist } from '../../src/usecases/blocklists.js';
import { cscliAlert } from '../helpers/actors.js';
import { driveTraffic } from '../helpers/lapi-traffic.js';
import { parseScrape, type Scrape } from '../helpers/prom-scrape.js';
import { startTestServer } from '../helpers/server.js';

const PROMETHEUS = 'prometheus:\n  enabled: true\n  listen_addr: 127.0.0.1\n  listen_port: 0\n';

async function scrape(url: string): Promise<Scrape> {
  return parseScrape(await (await fetch(url)).text());
}

/** The value of the one series `name{labels}` (undefined when absent). */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('stream pulls by kind, alerts per group commit, index entries and bytes, after real traffic', async (t) => {
  const srv = await startTestServer(t, PROMETHEUS);
  const { token } = await driveTraffic(srv);
  let text = await (await fetch(srv.metricsUrl!)).text();
  assert.equal(value(text, 'lapis_stream_pulls_total{kind="startup"}'), 1);
  assert.equal(value(text, 'lapis_stream_pulls_total{kind="delta"}'), 1);
  // the one push held two alerts, in one transaction
  assert.equal(value(text, 'lapis_alert_commit_batch_alerts_count'), 1);
  assert.equal(value(text, 'lapis_alert_commit_batch_alerts_sum'), 2);
  assert.equal(value(text, 'lapis_alert_commit_batch_alerts_bucket{le="1"}'), 0);
  assert.equal(value(text, 'lapis_alert_commit_batch_alerts_bucket{le="2"}'), 1);
  // two decisions made, one deleted: kept for the streams' `deleted`
  assert.equal(value(text, 'lapis_decision_index_entries{state="active"}'), 1);
  assert.equal(value(text, 'lapis_decision_index_entries{state="ended"}'), 1);
  const bytes = value(text, 'lapis_decision_index_bytes')!;
  assert.ok(bytes > 0);

  // concurrent pushes share transactions: every alert is counted once, in at most as many commits as pushes
  const pushes = Array.from({ length: 8 }, (_, i) =>
    fetch(`${srv.url}/v1/alerts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(Array.from({ length: 250 }, (_, j) => cscliAlert(`10.${i}.${j >> 8}.${j & 255}`))),
    }),
  );
  for (const r of await Promise.all(pushes)) assert.equal(r.status, 201);
  text = await (await fetch(srv.metricsUrl!)).text();
  assert.equal(value(text, 'lapis_alert_commit_batch_alerts_sum'), 2 + 8 * 250);
  const commits = value(text, 'lapis_alert_commit_batch_alerts_count')!;
  assert.ok(commits >= 2 && commits <= 9, `commits: ${commits}`);
  assert.equal(value(text, 'lapis_decision_index_entries{state="active"}'), 1 + 2000);
  assert.ok(value(text, 'lapis_decision_index_bytes')! > bytes);
});

test("the lag of another process's change: from its write to this node applying it", async (t) => {
  const srv = await startTestServer(t, PROMETHEUS);
  const config = loadConfig({ path: join(srv.dir, 'config.yaml'), env: { LAPIS_DATA_DIR: join(srv.dir, 'data') } });
  const before = await (await fetch(srv.metricsUrl!)).text();
  const count0 = value(before, 'lapis_decision_change_lag_seconds_count') ?? 0;
  // `lapis decisions add`, as the CLI runs it on its own connection, stamped five seconds ago
  await usingDb(config.db, (db) => decisionsAdd(db, { ip: '192.0.2.9' }, Date.now() - 5000));
  let text = before;
  for (let i = 0; i < 50 && (value(text, 'lapis_decision_change_lag_seconds_count') ?? 0) === count0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    text = await (await fetch(srv.metricsUrl!)).text();
  }
  assert.equal(value(text, 'lapis_decision_change_lag_seconds_count'), count0 + 1);
  const bucket = (le: string) =>
    (value(text, `lapis_decision_change_lag_seconds_bucket{le="${le}"}`) ?? 0) -
    (value(before, `lapis_decision_change_lag_seconds_bucket{le="${le}"}`) ?? 0);
  // at least the five seconds of its stamp, and well under the poll's worst case on top
  assert.deepEqual([bucket('2.5'), bucket('5'), bucket('10')], [0, 0, 1]);
});

test('the longest event-loop delay and its p99 since the previous scrape', async (t) => {
  const srv = await startTestServer(t, PROMETHEUS);
  await fetch(srv.metricsUrl!);
  // the monitor's first interval after a reset is not recorded (perf_hooks): start the block after a few
  await new Promise((r) => setTimeout(r, 50));
  // the server runs in this process: blocking here blocks its loop
  const end = Date.now() + 200;
  while (Date.now() < end);
  await new Promise((r) => setTimeout(r, 50));
  let text = await (await fetch(srv.metricsUrl!)).text();
  const max = value(text, 'lapis_event_loop_delay_seconds{stat="max"}')!;
  assert.ok(max >= 0.15 && max < 5, `max: ${max}`);
  assert.ok(value(text, 'lapis_event_loop_delay_seconds{stat="p99"}')! > 0);
  await new Promise((r) => setTimeout(r, 100));
  text = await (await fetch(srv.metricsUrl!)).text();
  assert.ok(value(text, 'lapis_event_loop_delay_seconds{stat="max"}')! < 0.15, 'reset by the previous scrape');
});

test('allowlist and blocklist sizes: live items per list, empty lists included', async (t) => {
  // room for a slow start on PostgreSQL or MariaDB before the first scrape
  const expiresAt = Date.now() + 5000;
  const srv = await startTestServer(t, PROMETHEUS, async (db) => {
    const office = await createAllowlist(db, 'office', '');
    const actor = { source_type: 'user', identifier: 'test' } as const;
    await addItems(db, office.id, { values: ['192.0.2.0/24', '198.51.100.1'], description: '', expiresAt: null, actor });
    await addItems(db, office.id, { values: ['203.0.113.1'], description: '', expiresAt, actor });
    await createAllowlist(db, 'empty', '');
    const list = await createBlocklist({ db }, { name: 'bad-ranges', label: '', description: '', references: [], tags: [], feed: null });
    await addBlocklistItems({ db }, list.id, ['10.0.0.0/8', '172.16.0.1', '2001:db8::/48'].map(parseIpOrRange), null);
    await addBlocklistItems({ db }, list.id, [parseIpOrRange('172.16.0.2')], expiresAt);
    await createBlocklist({ db }, { name: 'nothing-yet', label: '', description: '', references: [], tags: [], feed: null });
  });
  let text = await (await fetch(srv.metricsUrl!)).text();
  assert.equal(value(text, 'lapis_allowlist_items{allowlist="office"}'), 3);
  assert.equal(value(text, 'lapis_allowlist_items{allowlist="empty"}'), 0);
  assert.equal(value(text, 'lapis_blocklist_items{blocklist="bad-ranges",kind="custom"}'), 4);
  assert.equal(value(text, 'lapis_blocklist_items{blocklist="nothing-yet",kind="custom"}'), 0);
  assert.ok(Date.now() < expiresAt, 'scraped before the item expired');
  // an item that has expired is no longer live
  await new Promise((r) => setTimeout(r, expiresAt - Date.now() + 50));
  text = await (await fetch(srv.metricsUrl!)).text();
  assert.equal(value(text, 'lapis_allowlist_items{allowlist="office"}'), 2);
  assert.equal(value(text, 'lapis_blocklist_items{blocklist="bad-ranges",kind="custom"}'), 3);
  // items another process adds: the list's content version moved, it is counted again
  const config = loadConfig({ path: join(srv.dir, 'config.yaml'), env: { LAPIS_DATA_DIR: join(srv.dir, 'data') } });
  await usingDb(config.db, async (db) => {
    const [list] = await db.selectFrom('blocklists').select('id').where('name', '=', 'nothing-yet').execute();
    await addBlocklistItems({ db }, list!.id, ['198.51.100.0/24', '198.51.100.77'].map(parseIpOrRange), null);
  });
  text = await (await fetch(srv.metricsUrl!)).text();
  assert.equal(value(text, 'lapis_blocklist_items{blocklist="nothing-yet",kind="custom"}'), 2);
});

test('prometheus.level on a real scrape: aggregated keeps no per-machine or per-bouncer label and no scrape-time gauge; none, nothing', async (t) => {
  const aggregated = await startTestServer(t, `${PROMETHEUS}  level: aggregated\n`);
  await driveTraffic(aggregated);
  const s = await scrape(aggregated.metricsUrl!);
  assert.deepEqual([...s.keys()].sort(), [
    'cs_info',
    'cs_lapi_route_requests_total',
    'lapis_alert_commit_batch_alerts',
    'lapis_decision_change_lag_seconds',
    'lapis_notifications_dropped_total',
    'lapis_stream_pulls_total',
  ]);
  for (const f of s.values()) for (const x of f.series) assert.ok(!('machine' in x.labels || 'bouncer' in x.labels), JSON.stringify(x));
  assert.ok(s.get('lapis_stream_pulls_total')!.series.length === 2);

  const none = await startTestServer(t, `${PROMETHEUS}  level: none\n`);
  await driveTraffic(none);
  const res = await fetch(none.metricsUrl!);
  assert.equal(res.status, 200);
  assert.equal((await res.text()).trim(), '');
});
