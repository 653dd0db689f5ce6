import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changeTags } from '../../src/store/entity-tags.js';
import { adminClient, makeList, type Json } from '../helpers/admin.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { agentAlerts } from '../helpers/fixture-alerts.js';
import { addAdminKey, addBouncer, addMachine, bouncerGet, cscliAlert, login, pushAlerts } from '../helpers/actors.js';
import { waitUntil } from '../helpers/wait.js';

type Stream = { new: { value: string; id: number }[] | null; deleted: { value: string; id: number }[] | null };

async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const ta = await buildTestApp(t);
  await addMachine(ta, 'web-01');
  await addMachine(ta, 'web-02');
  const token = await login(ta, 'web-01');
  const token2 = await login(ta, 'web-02');
  const fw = await addBouncer(ta, 'fw01', 'key-of-fw01-0123456789');
  const fw2 = await addBouncer(ta, 'fw02', 'key-of-fw02-0123456789');
  const call = adminClient(ta, await addAdminKey(ta));
  return { ta, token, token2, fw, fw2, call };
}

const stream = async (ta: TestApp, key: string, startup = false): Promise<Stream> =>
  JSON.parse((await bouncerGet(ta, key, `/v1/decisions/stream${startup ? '?startup=true' : ''}`)).body) as Stream;
const values = (list: { value: string }[] | null) => (list ?? []).map((d) => d.value).sort();
const query = async (ta: TestApp, key: string, ip: string) => (await bouncerGet(ta, key, `/v1/decisions?ip=${ip}`)).body;
const alertCount = async (ta: TestApp, token: string) => {
  const r = await ta.app.inject({ method: 'GET', url: '/v1/alerts', headers: { authorization: `Bearer ${token}` } });
  return (JSON.parse(r.body) as unknown[] | null)?.length ?? 0;
};

test('end to end: a streaming bouncer gets the allowlisted ban in deleted, new alerts on it ban nothing until the item expires', async (t) => {
  const { ta, token, fw, call } = await setup(t);
  assert.deepEqual(await pushAlerts(ta, token, agentAlerts('192.0.2.8')), ['1']);
  assert.deepEqual(values((await stream(ta, fw, true)).new), ['192.0.2.8']);

  // an item that applies everywhere, for two seconds
  const expiration = new Date(Date.now() + 2000).toISOString();
  await makeList(call, 'office', [{ type: 'org', ids: [] }], ['192.0.2.0/24'], { expiration });
  const d1 = await stream(ta, fw);
  assert.deepEqual(values(d1.deleted), ['192.0.2.8']);
  assert.equal(d1.new, null);
  assert.equal(await query(ta, fw, '192.0.2.8'), 'null');

  // the agent sees the same IP again: nothing is stored, nothing banned
  assert.deepEqual(await pushAlerts(ta, token, agentAlerts('192.0.2.8')), []);
  assert.equal(await alertCount(ta, token), 1);
  assert.equal(await query(ta, fw, '192.0.2.8'), 'null');
  assert.deepEqual(await stream(ta, fw), { new: null, deleted: null });

  // the item expires, with no restart: the next alert bans again
  await waitUntil(() => Date.now() > Date.parse(expiration), 5000, 'the item to expire');
  assert.deepEqual(await pushAlerts(ta, token, agentAlerts('192.0.2.8')), ['2']);
  assert.match(await query(ta, fw, '192.0.2.8'), /"value":"192.0.2.8"/);
  assert.deepEqual(values((await stream(ta, fw)).new), ['192.0.2.8']);
  // and the expired item is gone from the views
  const list = ((await call('GET', '/v1/allowlists')).json().items as Json[])[0]!;
  assert.equal(list.total_items, 0);
});

test('a list for one bouncer hides its values from that bouncer only, in query and stream mode, and shows them again when the item goes', async (t) => {
  const { ta, token, fw, fw2, call } = await setup(t);
  await pushAlerts(ta, token, [cscliAlert('198.51.100.7'), cscliAlert('198.51.100.0/24'), cscliAlert('203.0.113.9')]);
  await stream(ta, fw, true);
  await stream(ta, fw2, true);

  const id = await makeList(call, 'fw01-only', [{ type: 'remediation_component_integration', ids: ['fw01'] }], ['198.51.100.7']);
  // the item is inside the /24 decision and equal to the /32 one: both are hidden from fw01, both directions of nesting
  const d = await stream(ta, fw);
  assert.deepEqual(values(d.deleted), ['198.51.100.0/24', '198.51.100.7']);
  assert.equal(d.new, null);
  assert.equal(await query(ta, fw, '198.51.100.7'), 'null');
  assert.match(await query(ta, fw, '203.0.113.9'), /203.0.113.9/);
  assert.deepEqual(values((await stream(ta, fw, true)).new), ['203.0.113.9']);
  // fw02 is not covered: it sees everything, and the decisions stay active in the store
  assert.deepEqual(await stream(ta, fw2), { new: null, deleted: null });
  assert.equal(JSON.parse(await query(ta, fw2, '198.51.100.7')).length, 2);
  assert.deepEqual(await stream(ta, fw), { new: null, deleted: null });

  // removing the item shows them to fw01 again
  const itemId = ((await call('GET', `/v1/allowlists/${id}/items`)).json().items as Json[])[0]!.id as string;
  assert.equal((await call('DELETE', `/v1/allowlists/${id}/items/${itemId}`)).status, 204);
  assert.deepEqual(values((await stream(ta, fw)).new), ['198.51.100.0/24', '198.51.100.7']);
  assert.equal(JSON.parse(await query(ta, fw, '198.51.100.7')).length, 2);
});

test('tag subscriptions follow tags, and the org subscription expires overlapping decisions of any origin, IPv4 and IPv6', async (t) => {
  const { ta, token, fw, fw2, call } = await setup(t);
  await pushAlerts(ta, token, [
    cscliAlert('2001:db8::5'),
    cscliAlert('2001:db8:1::/48'),
    cscliAlert('10.1.2.3', { origin: 'crowdsec' }),
    cscliAlert('10.9.9.9', { simulated: true }),
  ]);
  await stream(ta, fw, true);
  await stream(ta, fw2, true);
  await makeList(call, 'edge', [{ type: 'tag', ids: ['edge'] }], ['2001:db8::/32']);
  // nobody has the tag yet
  assert.deepEqual(await stream(ta, fw2), { new: null, deleted: null });
  await changeTags(ta.db, 'bouncer', 'fw02', ['edge'], []);
  await ta.allowlists.refresh();
  assert.deepEqual(values((await stream(ta, fw2)).deleted), ['2001:db8:1::/48', '2001:db8::5']);
  assert.deepEqual(await stream(ta, fw), { new: null, deleted: null });

  // a list applying everywhere ends the decisions in the store: every bouncer hears of it
  const org = await makeList(call, 'all', [{ type: 'org', ids: [] }]);
  assert.equal((await call('POST', `/v1/allowlists/${org}/items`, { items: ['10.0.0.0/8', '2001:db8::5'] })).status, 201);
  assert.deepEqual(values((await stream(ta, fw)).deleted), ['10.1.2.3', '2001:db8::5']);
  // fw02 had 2001:db8::5 hidden already: hearing of its deletion twice is harmless (deletes are idempotent)
  const del = (await stream(ta, fw2)).deleted;
  assert.deepEqual(
    values(del).filter((v) => v !== '2001:db8::5'),
    ['10.1.2.3'],
  );
  const r = await ta.app.inject({
    method: 'GET',
    url: '/v1/alerts?has_active_decision=true',
    headers: { authorization: `Bearer ${token}` },
  });
  assert.deepEqual(
    ((JSON.parse(r.body) as { decisions: { value: string }[] }[]) ?? []).map((a) => a.decisions[0]!.value),
    ['2001:db8:1::/48'],
  );
});

test('engine subscriptions apply to the alerts of that machine only; profile decisions for allowlisted values are dropped', async (t) => {
  const { ta, token, token2, fw, call } = await setup(t);
  await makeList(call, 'web-01', [{ type: 'engine', ids: ['web-01'] }], ['192.0.2.0/28']);
  assert.deepEqual(await pushAlerts(ta, token, agentAlerts('192.0.2.3')), []);
  assert.equal((await pushAlerts(ta, token2, agentAlerts('192.0.2.3'))).length, 1);
  assert.match(await query(ta, fw, '192.0.2.3'), /192.0.2.3/);
  // an alert whose source is a range containing the item: nested the other way, dropped too
  const rangeAlert = agentAlerts('192.0.2.0')[0]!;
  rangeAlert.source = { scope: 'Range', value: '192.0.2.0/24', range: '192.0.2.0/24' };
  assert.deepEqual(await pushAlerts(ta, token, [rangeAlert]), []);
  // alerts that come with their decisions (cscli, --bypass-allowlist) are kept as sent
  assert.equal((await pushAlerts(ta, token, [cscliAlert('192.0.2.4')])).length, 1);
});

test('LAPI allowlist routes for agents: list, get, check one and in bulk, reasons sorted by list name', async (t) => {
  const { ta, token, token2, call } = await setup(t);
  await makeList(call, 'foo', [{ type: 'org', ids: [] }], ['192.168.0.0/16']);
  await makeList(call, 'bar', [{ type: 'engine', ids: ['web-01'] }], ['192.168.0.0/24']);
  const up = await makeList(call, 'Uppercase', [{ type: 'org', ids: [] }]);
  await call('POST', `/v1/allowlists/${up}/items`, { items: ['192.168.0.0/28'], description: 'lab' });
  await call('POST', `/v1/allowlists/${up}/items`, { items: ['2.3.4.5'], expiration: new Date(Date.now() - 1000).toISOString() });
  await makeList(call, 'nobody', [], ['192.168.0.1']);
  const get = (tok: string, url: string, method: 'GET' | 'HEAD' = 'GET') =>
    ta.app.inject({ method, url, headers: { authorization: `Bearer ${tok}` } });

  const lists = JSON.parse((await get(token, '/v1/allowlists?with_content=true')).body) as Json[];
  assert.deepEqual(
    lists.map((l) => l.name),
    ['foo', 'bar', 'Uppercase'],
  );
  assert.deepEqual(Object.keys(lists[2]!), ['allowlist_id', 'created_at', 'items', 'name', 'updated_at']);
  assert.deepEqual(lists[2]!.items, [
    {
      created_at: (lists[2]!.items as Json[])[0]!.created_at,
      description: 'lab',
      expiration: '0001-01-01T00:00:00.000Z',
      value: '192.168.0.0/28',
    },
  ]);
  assert.match(lists[2]!.created_at as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(
    (JSON.parse((await get(token2, '/v1/allowlists')).body) as Json[]).map((l) => [l.name, 'items' in l]),
    [
      ['foo', false],
      ['Uppercase', false],
    ],
  );
  const one = await get(token, '/v1/allowlists/Uppercase?with_content=true');
  assert.deepEqual(JSON.parse(one.body), lists[2]);
  const missing = await get(token2, '/v1/allowlists/bar');
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.body, `{"message":"allowlist 'bar' not found"}`);

  const check = await get(token, '/v1/allowlists/check/192.168.0.1');
  assert.equal(
    check.body,
    '{"allowlisted":true,"reason":"192.168.0.0/28 from Uppercase (lab), 192.168.0.0/24 from bar, 192.168.0.0/16 from foo"}',
  );
  assert.equal(
    (await get(token2, '/v1/allowlists/check/192.168.0.1')).body,
    '{"allowlisted":true,"reason":"192.168.0.0/28 from Uppercase (lab), 192.168.0.0/16 from foo"}',
  );
  assert.equal(
    (await get(token, '/v1/allowlists/check/192.168.10.20%2F24')).body,
    '{"allowlisted":true,"reason":"192.168.0.0/16 from foo"}',
  );
  assert.equal((await get(token, '/v1/allowlists/check/10.0.0.1')).body, '{}');
  assert.equal((await get(token, '/v1/allowlists/check/2.3.4.5')).body, '{}');
  assert.equal((await get(token, '/v1/allowlists/check/192.0.0.0%2F8')).statusCode, 200);
  assert.equal((await get(token, '/v1/allowlists/check/192.168.0.1', 'HEAD')).statusCode, 200);
  assert.equal((await get(token, '/v1/allowlists/check/2.3.4.5%2F24', 'HEAD')).statusCode, 204);
  const bad = await get(token, '/v1/allowlists/check/bad-apple');
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.body, `{"message":"invalid ip address 'bad-apple'"}`);

  const bulk = (body: unknown) =>
    ta.app.inject({ method: 'POST', url: '/v1/allowlists/check', headers: { authorization: `Bearer ${token2}` }, payload: body as object });
  assert.equal(
    (await bulk({ targets: ['192.168.0.20', '2.3.4.5'] })).body,
    '{"results":[{"allowlists":["192.168.0.0/16 from foo"],"target":"192.168.0.20"}]}',
  );
  assert.equal((await bulk({ targets: ['8.8.8.8'] })).body, '{"results":[]}');
  for (const [payload, message] of [
    [{ targets: [] }, 'targets list cannot be empty'],
    [{}, 'validation failure list:\ntargets in body is required'],
    [{ targets: ['1.2.3.4', 'whatever'] }, "invalid ip address 'whatever'"],
  ] as const) {
    const r = await bulk(payload);
    assert.equal(r.statusCode, 400);
    assert.equal(JSON.parse(r.body).message, message);
  }
  // no token: upstream's JWT refusal
  assert.equal((await ta.app.inject({ method: 'GET', url: '/v1/allowlists' })).statusCode, 401);
});
