import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { LAPI_LIST_ID } from '../../src/domain/blocklist.js';
import { parseIpOrRange } from '../../src/domain/ip-range.js';
import { changeTags } from '../../src/store/entity-tags.js';
import { organizationId } from '../../src/store/instance.js';
import {
  addBlocklistItems,
  createBlocklist,
  deleteBlocklist,
  deleteBlocklistItems,
  replaceBlocklistItems,
  subscribeBlocklist,
  unsubscribeBlocklist,
} from '../../src/usecases/blocklists.js';
import { createIntegration } from '../../src/usecases/integrations.js';
import { addItemsAndApply, createList, deleteListItem, subscribe } from '../../src/usecases/allowlists.js';
import { pageItems } from '../../src/store/allowlist-items.js';
import { addBouncer, addMachine, bouncerGet, cscliAlert, login, pushAlerts } from '../helpers/actors.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';

type D = { value: string; origin: string; scenario: string; type: string; scope: string };
type Stream = { new: D[] | null; deleted: D[] | null };

const listItemsOf = async (ta: TestApp, id: string) => (await pageItems(ta.db, id, 0, 10, Date.now())).map((i) => i.id);
const ranges = (...v: string[]) => v.map((x) => parseIpOrRange(x));
const values = (l: D[] | null) => (l ?? []).map((d) => d.value).sort();
/** An answer with nothing in it (a delta says so with nulls). */
const quiet = (s: Stream) => assert.deepEqual([values(s.new), values(s.deleted)], [[], []]);

async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const ta = await buildTestApp(t);
  const w = {
    db: ta.db,
    settle: async (c: 'decisions' | 'allowlists') => {
      if (c === 'allowlists') await ta.allowlists.refresh();
      await ta.feed.catchUp();
    },
  };
  const org = await organizationId(ta.db, ta.config.admin.organizationId);
  const fw = await addBouncer(ta, 'fw01', 'key-of-fw01-0123456789');
  const fw2 = await addBouncer(ta, 'fw02', 'key-of-fw02-0123456789');
  return { ta, w, org, fw, fw2 };
}

const stream = async (ta: TestApp, key: string, startup = false): Promise<Stream> =>
  JSON.parse((await bouncerGet(ta, key, `/v1/decisions/stream${startup ? '?startup=true' : ''}`)).body) as Stream;

test('a list subscribed org reaches every bouncer as decisions of origin lists; each change reaches a stream once', async (t) => {
  const { ta, w, org, fw } = await setup(t);
  const list = await createBlocklist(w, { name: 'firehol', label: 'firehol', description: 'd', references: [], tags: [], feed: null });
  await addBlocklistItems(w, list.id, ranges('192.0.2.1', '198.51.100.0/24'), null);
  // nobody subscribed: nothing served
  assert.deepEqual(values((await stream(ta, fw, true)).new), []);
  await subscribeBlocklist(w, list.id, 'org', [], null, org);
  const d1 = await stream(ta, fw);
  assert.deepEqual(values(d1.new), ['192.0.2.1', '198.51.100.0/24']);
  const one = d1.new!.find((d) => d.value === '192.0.2.1')!;
  assert.deepEqual(
    { origin: one.origin, scenario: one.scenario, type: one.type, scope: one.scope },
    { origin: 'lists', scenario: 'lists:firehol', type: 'ban', scope: 'Ip' },
  );
  assert.equal(d1.new!.find((d) => d.value === '198.51.100.0/24')!.scope, 'Range');
  quiet(await stream(ta, fw));
  // query mode too
  assert.match((await bouncerGet(ta, fw, '/v1/decisions?ip=198.51.100.7')).body, /"origin":"lists"/);

  // an item added, then deleted: new once, deleted once
  await addBlocklistItems(w, list.id, ranges('203.0.113.5'), null);
  assert.deepEqual(values((await stream(ta, fw)).new), ['203.0.113.5']);
  quiet(await stream(ta, fw));
  await deleteBlocklistItems(w, list.id, ranges('203.0.113.5'));
  const d2 = await stream(ta, fw);
  assert.deepEqual([values(d2.new), values(d2.deleted)], [[], ['203.0.113.5']]);
  quiet(await stream(ta, fw));

  // an item that expires: deleted once, when it does
  await addBlocklistItems(w, list.id, ranges('203.0.113.6'), Date.now() + 1500);
  assert.deepEqual(values((await stream(ta, fw)).new), ['203.0.113.6']);
  await new Promise((r) => setTimeout(r, 1700));
  assert.deepEqual(values((await stream(ta, fw)).deleted), ['203.0.113.6']);
  quiet(await stream(ta, fw));

  // bulk overwrite sends only the difference
  await replaceBlocklistItems(w, list.id, ranges('192.0.2.1', '192.0.2.2'), null);
  const d3 = await stream(ta, fw);
  assert.deepEqual([values(d3.new), values(d3.deleted)], [['192.0.2.2'], ['198.51.100.0/24']]);

  // unsubscribing ends them all, once
  await unsubscribeBlocklist(w, list.id, org, 'org');
  assert.deepEqual(values((await stream(ta, fw)).deleted), ['192.0.2.1', '192.0.2.2']);
  quiet(await stream(ta, fw));
  assert.equal((await bouncerGet(ta, fw, '/v1/decisions?ip=192.0.2.1')).body, 'null');
});

test('a list subscribed through a tag reaches the bouncers with the tag; a tag given or taken is sent once', async (t) => {
  const { ta, w, fw, fw2 } = await setup(t);
  const list = await createBlocklist(w, { name: 'scanners', label: 'scanners', description: 'd', references: [], tags: [], feed: null });
  await addBlocklistItems(w, list.id, ranges('192.0.2.10'), null);
  await stream(ta, fw, true);
  await stream(ta, fw2, true);
  await subscribeBlocklist(w, list.id, 'tag', ['edge'], 'captcha', 'org');
  quiet(await stream(ta, fw));
  await changeTags(ta.db, 'bouncer', 'fw01', ['edge'], []);
  await ta.allowlists.refresh();
  const d = await stream(ta, fw);
  assert.deepEqual(values(d.new), ['192.0.2.10']);
  assert.equal(d.new![0]!.type, 'captcha');
  quiet(await stream(ta, fw));
  // the other bouncer never sees it, in either mode
  quiet(await stream(ta, fw2));
  assert.equal((await bouncerGet(ta, fw2, '/v1/decisions?ip=192.0.2.10')).body, 'null');
  assert.deepEqual(values((await stream(ta, fw2, true)).new), []);
  // the tag taken away: deleted once
  await changeTags(ta.db, 'bouncer', 'fw01', [], ['edge']);
  await ta.allowlists.refresh();
  assert.deepEqual(values((await stream(ta, fw)).deleted), ['192.0.2.10']);
  quiet(await stream(ta, fw));
});

test('allowlists win: an allowlisted value is served neither to bouncers nor in a firewall content', async (t) => {
  const { ta, w, org, fw } = await setup(t);
  const list = await createBlocklist(w, { name: 'bad', label: 'bad', description: 'd', references: [], tags: [], feed: null });
  await addBlocklistItems(w, list.id, ranges('192.0.2.1', '192.0.2.2'), null);
  await subscribeBlocklist(w, list.id, 'org', [], null, org);
  const { integration, credentials } = await createIntegration(w, {
    name: 'pfsense',
    description: '',
    entityType: 'firewall_integration',
    outputFormat: 'plain_text',
    pullLimit: null,
    enableIpAggregation: false,
    tags: [],
  });
  await subscribeBlocklist(w, list.id, 'firewall_integration', [integration.id], null, org);
  assert.deepEqual(values((await stream(ta, fw, true)).new), ['192.0.2.1', '192.0.2.2']);
  const allow = await createList(w, 'office', '');
  await subscribe(w, allow.id, 'org', [org], org);
  await addItemsAndApply(w, allow.id, {
    values: ['192.0.2.2'],
    description: '',
    expiresAt: null,
    actor: { source_type: 'user', identifier: 't' },
  });
  assert.deepEqual(values((await stream(ta, fw)).deleted), ['192.0.2.2']);
  assert.equal((await bouncerGet(ta, fw, '/v1/decisions?ip=192.0.2.2')).body, 'null');
  const basic = `Basic ${Buffer.from(`${'username' in credentials ? credentials.username : ''}:${'password' in credentials ? credentials.password : ''}`).toString('base64')}`;
  const r = await ta.app.inject({ method: 'GET', url: `/v1/integrations/${integration.id}/content`, headers: { authorization: basic } });
  assert.equal(r.statusCode, 200);
  assert.equal(r.body, '192.0.2.1\n');
  // the list's decision was hidden, not ended: it comes back when the allowlist item goes
  const itemId = (await listItemsOf(ta, allow.id))[0]!;
  await deleteListItem(w, allow.id, itemId);
  assert.deepEqual(values((await stream(ta, fw)).new), ['192.0.2.2']);
});

test('firewall content: Basic auth, formats, pages, aggregation, ETag and 304, gzip, 204, and the lapi list', async (t) => {
  const { ta, w, org } = await setup(t);
  const list = await createBlocklist(w, { name: 'l1', label: 'l1', description: 'd', references: [], tags: [], feed: null });
  const l2 = await createBlocklist(w, { name: 'l2', label: 'l2', description: 'd', references: [], tags: [], feed: null });
  await addBlocklistItems(w, list.id, ranges('10.0.0.1', '10.0.0.0/24', '1.2.3.4', '2001:db8::1'), null);
  await addBlocklistItems(w, l2.id, ranges('1.2.3.5', '1.2.3.4', '5.6.7.8'), null);
  const { integration: fwi, credentials } = await createIntegration(w, {
    name: 'edge',
    description: '',
    entityType: 'firewall_integration',
    outputFormat: 'plain_text',
    pullLimit: null,
    enableIpAggregation: false,
    tags: [],
  });
  assert.ok('password' in credentials);
  const auth = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const url = `/v1/integrations/${fwi.id}/content`;
  const get = (q = '', headers: Record<string, string> = {}) =>
    ta.app.inject({ method: 'GET', url: url + q, headers: { authorization: auth, ...headers } });

  // credentials: missing → 401 with a challenge; wrong or for an unknown id → the same 401
  const none = await ta.app.inject({ method: 'GET', url });
  assert.equal(none.statusCode, 401);
  assert.match(String(none.headers['www-authenticate']), /^Basic realm="lapis"/);
  const wrong = `Basic ${Buffer.from(`${credentials.username}:nope`).toString('base64')}`;
  assert.equal((await ta.app.inject({ method: 'GET', url, headers: { authorization: wrong } })).statusCode, 401);
  const unknown = await ta.app.inject({
    method: 'GET',
    url: '/v1/integrations/0123456789abcdef01234567/content',
    headers: { authorization: auth },
  });
  assert.equal(unknown.statusCode, 401);
  assert.equal(unknown.body, none.body);

  // nothing subscribed: 204
  assert.equal((await get()).statusCode, 204);
  await subscribeBlocklist(w, list.id, 'firewall_integration', [fwi.id], null, org);
  await subscribeBlocklist(w, l2.id, 'firewall_integration', [fwi.id], null, org);
  const r = await get();
  assert.equal(r.statusCode, 200);
  assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
  // merged in address order, duplicates and contained entries once
  assert.equal(r.body, '1.2.3.4\n1.2.3.5\n5.6.7.8\n10.0.0.0/24\n2001:db8::1\n');
  assert.equal((await get('?enable_ip_aggregation=true')).body, '1.2.3.4/31\n5.6.7.8\n10.0.0.0/24\n2001:db8::1\n');
  assert.equal((await get('?page=2&page_size=2')).body, '5.6.7.8\n10.0.0.0/24\n');
  assert.equal((await get('?pull_limit=1')).body, '1.2.3.4\n');
  assert.equal((await get('?page=9&page_size=2')).statusCode, 204);
  assert.equal((await get('?page=0')).statusCode, 400);
  // HEAD: 200, no body
  const head = await ta.app.inject({ method: 'HEAD', url, headers: { authorization: auth } });
  assert.equal(head.statusCode, 200);
  assert.equal(head.body, '');
  // ETag: 304 while nothing changes, 200 again after a change
  const tag = String(r.headers.etag);
  assert.equal((await get('', { 'if-none-match': tag })).statusCode, 304);
  await deleteBlocklistItems(w, l2.id, ranges('5.6.7.8'));
  const after = await get('', { 'if-none-match': tag });
  assert.equal(after.statusCode, 200);
  assert.equal(after.body, '1.2.3.4\n1.2.3.5\n10.0.0.0/24\n2001:db8::1\n');
  // gzip when asked
  const z = await get('', { 'accept-encoding': 'gzip' });
  assert.equal(z.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(z.rawPayload).toString(), after.body);

  // the built-in lapi list: this instance's own decisions
  await addMachine(ta, 'web-01');
  const token = await login(ta, 'web-01');
  await pushAlerts(ta, token, [cscliAlert('203.0.113.77')]);
  await subscribeBlocklist(w, LAPI_LIST_ID, 'firewall_integration', [fwi.id], null, org);
  assert.match((await get()).body, /^203\.0\.113\.77$/m);
});

test('a remediation-component integration streams its lists with its API key', async (t) => {
  const { ta, w, org } = await setup(t);
  const list = await createBlocklist(w, { name: 'rc', label: 'rc', description: 'd', references: [], tags: [], feed: null });
  await addBlocklistItems(w, list.id, ranges('192.0.2.44'), null);
  const { integration, credentials } = await createIntegration(w, {
    name: 'worker',
    description: '',
    entityType: 'remediation_component_integration',
    outputFormat: 'remediation_component',
    pullLimit: null,
    enableIpAggregation: false,
    tags: [],
  });
  assert.ok('api_key' in credentials);
  // instance decisions are not its business
  await addMachine(ta, 'web-01');
  await pushAlerts(ta, await login(ta, 'web-01'), [cscliAlert('203.0.113.9')]);
  const url = `/v1/integrations/${integration.id}/v1/decisions/stream`;
  const pull = async (startup = false) =>
    JSON.parse(
      (
        await ta.app.inject({
          method: 'GET',
          url: `${url}${startup ? '?startup=true' : ''}`,
          headers: { 'x-api-key': credentials.api_key },
        })
      ).body,
    ) as Stream;
  quiet(await pull(true));
  await subscribeBlocklist(w, list.id, 'remediation_component_integration', [integration.id], 'ban', org);
  assert.deepEqual(values((await pull()).new), ['192.0.2.44']);
  await deleteBlocklistItems(w, list.id, ranges('192.0.2.44'));
  assert.deepEqual(values((await pull()).deleted), ['192.0.2.44']);
  quiet(await pull());
  const bad = await ta.app.inject({ method: 'GET', url, headers: { 'x-api-key': 'wrong' } });
  assert.equal(bad.statusCode, 403);
  assert.equal(bad.body, '{"message":"access forbidden"}');
  // and a deleted list ends its decisions everywhere
  await addBlocklistItems(w, list.id, ranges('192.0.2.45'), null);
  assert.deepEqual(values((await pull()).new), ['192.0.2.45']);
  await deleteBlocklist(w, list.id, true);
  assert.deepEqual(values((await pull()).deleted), ['192.0.2.45']);
});
