import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp } from '../helpers/app.js';
import { adminClient, type Json } from '../helpers/admin.js';
import { addAdminKey, addBouncer, addMachine, bouncerGet } from '../helpers/actors.js';

const ID = /^[0-9a-f]{24}$/;
const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const ta = await buildTestApp(t);
  const key = await addAdminKey(ta);
  return { ta, key, call: adminClient(ta, key) };
}

/** The envelope of the first and only page (size 50) of `total` items under `path`, its items left out (null). */
function onlyPage(path: string, total: number) {
  return {
    items: null,
    total,
    page: 1,
    size: 50,
    pages: 1,
    links: { first: `${path}?size=50&page=1`, last: `${path}?size=50&page=1`, self: `${path}?page=1&size=50`, next: null, prev: null },
  };
}

/** The allowlist object of seed 003, field by field: same keys in the same order, same types. */
function assertListShape(o: Json, want: { name: string; description: string; total_items: number; subscribers?: unknown[] }) {
  const keys = ['id', 'organization_id', 'name', 'description', 'created_at', 'updated_at', 'from_cti_query', 'since', 'total_items'];
  assert.deepEqual(Object.keys(o), want.subscribers ? [...keys, 'subscribers'] : keys);
  assert.match(o.id as string, ID);
  assert.match(o.organization_id as string, /^lapis-[0-9a-f]{16}$/);
  assert.equal(o.name, want.name);
  assert.equal(o.description, want.description);
  assert.match(o.created_at as string, ISO_MICROS);
  assert.ok(o.updated_at === null || ISO_MICROS.test(o.updated_at as string));
  assert.equal(o.from_cti_query, null);
  assert.equal(o.since, null);
  assert.equal(o.total_items, want.total_items);
  if (want.subscribers) assert.deepEqual(o.subscribers, want.subscribers);
}

function assertItemShape(
  o: Json,
  listId: string,
  want: { value: string; description: string; updated: boolean; expiration: string | null },
) {
  assert.deepEqual(Object.keys(o), [
    'id',
    'allowlist_id',
    'description',
    'scope',
    'value',
    'created_at',
    'updated_at',
    'created_by',
    'updated_by',
    'expiration',
  ]);
  assert.match(o.id as string, ID);
  assert.equal(o.allowlist_id, listId);
  assert.equal(o.description, want.description);
  assert.equal(o.scope, want.value.includes('/') ? 'range' : 'ip');
  assert.equal(o.value, want.value);
  assert.match(o.created_at as string, ISO_MICROS);
  const by = { source_type: 'apikey', identifier: 'test-key-for-monitoring' };
  assert.deepEqual(o.created_by, by);
  if (want.updated) {
    assert.match(o.updated_at as string, ISO_MICROS);
    assert.deepEqual(o.updated_by, by);
  } else {
    assert.equal(o.updated_at, null);
    assert.equal(o.updated_by, null);
  }
  assert.equal(o.expiration, want.expiration);
}

test("seed 003's curl sequence, as written, returns the seed's shapes", async (t) => {
  const { ta, call } = await setup(t);
  await addMachine(ta, 'SECENGINEID5678');

  // Create an allowlist
  const created = await call('POST', '/v1/allowlists', '{ "name":"my_test_allowlist", "description": "testing allowlists feature" }');
  assert.equal(created.status, 201, created.body);
  const list = created.json();
  assertListShape(list, { name: 'my_test_allowlist', description: 'testing allowlists feature', total_items: 0 });
  assert.equal(list.updated_at, null);
  const id = list.id as string;

  // List all allowlists
  const all = await call('GET', '/v1/allowlists');
  assert.equal(all.status, 200);
  const page = all.json();
  assert.deepEqual(Object.keys(page), ['items', 'total', 'page', 'size', 'pages', 'links']);
  assert.deepEqual({ ...page, items: null }, onlyPage('/v1/allowlists', 1));
  const listed = (page.items as Json[])[0]!;
  assertListShape(listed, { name: 'my_test_allowlist', description: 'testing allowlists feature', total_items: 0, subscribers: [] });
  assert.equal(listed.id, id);
  assert.equal(listed.organization_id, list.organization_id);

  // Add some IPs to the allowlist
  const added = await call(
    'POST',
    `/v1/allowlists/${id}/items`,
    '{ "items": ["1.2.3.4", "5.6.7.8"], "description": "allow my office ips"}',
  );
  assert.equal(added.status, 201, added.body);
  assert.equal(added.body, '');

  // List all items in the allowlist
  const items = await call('GET', `/v1/allowlists/${id}/items`);
  assert.equal(items.status, 200);
  const ipage = items.json();
  assert.deepEqual({ ...ipage, items: null }, onlyPage(`/v1/allowlists/${id}/items`, 2));
  const [first, second] = ipage.items as Json[];
  assertItemShape(first!, id, { value: '1.2.3.4', description: 'allow my office ips', updated: false, expiration: null });
  assertItemShape(second!, id, { value: '5.6.7.8', description: 'allow my office ips', updated: false, expiration: null });
  assert.equal((await call('GET', `/v1/allowlists/${id}`)).json().total_items, 2);

  // Update an item in the allowlist
  const patched = await call(
    'PATCH',
    `/v1/allowlists/${id}/items/${first!.id as string}`,
    '{ "description": "allow my office ips for 1 day", "expiration": "2025-03-27T16:45:53" }',
  );
  assert.equal(patched.status, 200, patched.body);
  const item = patched.json();
  assertItemShape(item, id, {
    value: '1.2.3.4',
    description: 'allow my office ips for 1 day',
    updated: true,
    expiration: '2025-03-27T16:45:53.000000Z',
  });
  assert.equal(item.id, first!.id);
  assert.equal(item.created_at, first!.created_at);
  // that date is past: the item no longer applies, and views no longer show it
  const left = (await call('GET', `/v1/allowlists/${id}/items`)).json();
  assert.deepEqual(
    (left.items as Json[]).map((i) => i.value),
    ['5.6.7.8'],
  );
  assert.equal(left.total, 1);

  // Subscribe to an allowlist (the seed's engine id, as a machine of this instance)
  const sub = await call('POST', `/v1/allowlists/${id}/subscribers`, '{ "ids": ["SECENGINEID5678"], "entity_type": "engine" }');
  assert.equal(sub.status, 200, sub.body);
  assert.equal(sub.body, '{"updated":["SECENGINEID5678"],"errors":[]}');
  const subs = (await call('GET', `/v1/allowlists/${id}/subscribers`)).json();
  assert.deepEqual(subs.items, [{ id: 'SECENGINEID5678', entity_type: 'engine' }]);
  assert.deepEqual((await call('GET', `/v1/allowlists/${id}`)).json().subscribers, [{ id: 'SECENGINEID5678', entity_type: 'engine' }]);
});

test('lists: get, patch, delete (refused with subscribers unless force), pages and their links', async (t) => {
  const { call } = await setup(t);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await call('POST', '/v1/allowlists', { name: `list-${i}` })).json().id as string);
  const p2 = (await call('GET', '/v1/allowlists?page=2&size=2')).json();
  assert.deepEqual(
    (p2.items as Json[]).map((l) => l.name),
    ['list-2', 'list-3'],
  );
  assert.deepEqual([p2.total, p2.page, p2.size, p2.pages], [5, 2, 2, 3]);
  assert.deepEqual(p2.links, {
    first: '/v1/allowlists?size=2&page=1',
    last: '/v1/allowlists?size=2&page=3',
    self: '/v1/allowlists?page=2&size=2',
    next: '/v1/allowlists?size=2&page=3',
    prev: '/v1/allowlists?size=2&page=1',
  });
  const beyond = (await call('GET', '/v1/allowlists?page=9&size=2')).json();
  assert.deepEqual(beyond.items, []);

  const renamed = await call('PATCH', `/v1/allowlists/${ids[0]}`, { name: 'office', description: 'HQ egress' });
  assert.equal(renamed.status, 200, renamed.body);
  assert.equal(renamed.json().name, 'office');
  assert.equal(renamed.json().description, 'HQ egress');
  assert.match(renamed.json().updated_at as string, ISO_MICROS);
  const dup = await call('PATCH', `/v1/allowlists/${ids[1]}`, { name: 'office' });
  assert.equal(dup.status, 409);
  assert.equal(dup.body, `{"message":"allowlist 'office' already exists"}`);

  const org = (await call('GET', `/v1/allowlists/${ids[0]}`)).json().organization_id as string;
  assert.equal((await call('POST', `/v1/allowlists/${ids[0]}/subscribers`, { ids: [org], entity_type: 'org' })).status, 200);
  const refused = await call('DELETE', `/v1/allowlists/${ids[0]}`);
  assert.equal(refused.status, 409);
  assert.match(refused.json().message as string, /has 1 subscriber\(s\).*force=true/);
  assert.equal((await call('GET', `/v1/allowlists/${ids[0]}`)).status, 200);
  assert.equal((await call('DELETE', `/v1/allowlists/${ids[0]}?force=true`)).status, 204);
  assert.equal((await call('GET', `/v1/allowlists/${ids[0]}`)).status, 404);
  assert.equal((await call('DELETE', `/v1/allowlists/${ids[1]}`)).status, 204);
  assert.equal((await call('GET', '/v1/allowlists')).json().total, 3);
});

test('items: ranges and IPv6, duplicates added once, get, patch back to never, delete', async (t) => {
  const { call } = await setup(t);
  const id = (await call('POST', '/v1/allowlists', { name: 'a' })).json().id as string;
  const r = await call('POST', `/v1/allowlists/${id}/items`, {
    items: ['10.0.0.0/8', '2001:db8::/32', '2001:db8::1', '10.0.0.0/8', ' 192.0.2.1 '],
    description: 'x',
    expiration: '2999-01-01T00:00:00+02:00',
  });
  assert.equal(r.status, 201, r.body);
  assert.equal(
    (await call('POST', `/v1/allowlists/${id}/items`, { items: ['10.0.0.0/8', '192.0.2.1/32'], description: 'again' })).status,
    201,
  );
  const items = (await call('GET', `/v1/allowlists/${id}/items`)).json().items as Json[];
  assert.deepEqual(
    items.map((i) => [i.value, i.scope, i.expiration]),
    [
      ['10.0.0.0/8', 'range', '2998-12-31T22:00:00.000000Z'],
      ['2001:db8::/32', 'range', '2998-12-31T22:00:00.000000Z'],
      ['2001:db8::1', 'ip', '2998-12-31T22:00:00.000000Z'],
      ['192.0.2.1', 'ip', '2998-12-31T22:00:00.000000Z'],
    ],
  );
  const one = await call('GET', `/v1/allowlists/${id}/items/${items[0]!.id as string}`);
  assert.deepEqual(one.json(), items[0]);
  const never = await call('PATCH', `/v1/allowlists/${id}/items/${items[0]!.id as string}`, { expiration: null });
  assert.equal(never.json().expiration, null);
  assert.equal(never.json().description, 'x');
  assert.equal((await call('DELETE', `/v1/allowlists/${id}/items/${items[1]!.id as string}`)).status, 204);
  assert.equal((await call('GET', `/v1/allowlists/${id}/items/${items[1]!.id as string}`)).status, 404);
  assert.equal((await call('GET', `/v1/allowlists/${id}`)).json().total_items, 3);
});

test('subscribers: each entity type, errors with a reason, unsubscribe', async (t) => {
  const { ta, call } = await setup(t);
  await addMachine(ta, 'web-01');
  await addBouncer(ta, 'fw01');
  const id = (await call('POST', '/v1/allowlists', { name: 'a' })).json().id as string;
  const org = (await call('GET', `/v1/allowlists/${id}`)).json().organization_id as string;
  const sub = async (entity_type: string, ids: string[]) =>
    (await call('POST', `/v1/allowlists/${id}/subscribers`, { ids, entity_type })).json();
  assert.deepEqual(await sub('engine', ['web-01', 'nope']), { updated: ['web-01'], errors: [{ nope: "no machine named 'nope'" }] });
  assert.deepEqual(await sub('remediation_component_integration', ['fw01', 'fw02']), {
    updated: ['fw01'],
    errors: [{ fw02: "no bouncer or remediation component integration 'fw02'" }],
  });
  assert.deepEqual(await sub('tag', ['edge']), { updated: ['edge'], errors: [] });
  assert.deepEqual(await sub('org', ['someone-else']), {
    updated: [],
    errors: [{ 'someone-else': `unknown organization 'someone-else': this instance's organization is '${org}'` }],
  });
  assert.deepEqual(await sub('org', [org]), { updated: [org], errors: [] });
  // integrations by id: a firewall as firewall_integration, a remediation component as remediation_component_integration
  const integration = async (name: string, entity_type: string, output_format: string) =>
    (await call('POST', '/v1/integrations', { name, entity_type, output_format })).json().id as string;
  const f5 = await integration('f5', 'firewall_integration', 'f5');
  const rc = await integration('worker', 'remediation_component_integration', 'remediation_component');
  assert.deepEqual(await sub('firewall_integration', [f5, rc, 'f5']), {
    updated: [f5],
    errors: [{ [rc]: `integration '${rc}' is a remediation component integration` }, { f5: "no firewall integration 'f5'" }],
  });
  assert.deepEqual(await sub('remediation_component_integration', [rc, f5]), {
    updated: [rc],
    errors: [{ [f5]: `integration '${f5}' is a firewall integration` }],
  });
  // subscribing twice changes nothing
  assert.deepEqual(await sub('engine', ['web-01']), { updated: ['web-01'], errors: [] });
  const listed = (await call('GET', `/v1/allowlists/${id}/subscribers`)).json();
  assert.deepEqual(listed.items, [
    { id: 'web-01', entity_type: 'engine' },
    { id: 'fw01', entity_type: 'remediation_component_integration' },
    { id: 'edge', entity_type: 'tag' },
    { id: org, entity_type: 'org' },
    { id: f5, entity_type: 'firewall_integration' },
    { id: rc, entity_type: 'remediation_component_integration' },
  ]);
  // an integration subscribed to a list is deleted only with force, which ends the subscription
  assert.equal((await call('DELETE', `/v1/integrations/${f5}`)).status, 409);
  assert.equal((await call('DELETE', `/v1/integrations/${f5}?force=true`)).status, 204);
  assert.equal((await call('GET', `/v1/allowlists/${id}/subscribers`)).json().total, 5);
  assert.equal((await call('DELETE', `/v1/allowlists/${id}/subscribers/${rc}`)).status, 204);
  assert.equal((await call('DELETE', `/v1/allowlists/${id}/subscribers/edge`)).status, 204);
  const gone = await call('DELETE', `/v1/allowlists/${id}/subscribers/edge`);
  assert.equal(gone.status, 404);
  assert.equal(gone.body, `{"message":"'edge' is not subscribed to allowlist '${id}'"}`);
  assert.equal((await call('GET', `/v1/allowlists/${id}/subscribers`)).json().total, 3);
});

test('bad input: a clear 400 or 404 with {"message"}, and nothing changes', async (t) => {
  const { call } = await setup(t);
  const id = (await call('POST', '/v1/allowlists', { name: 'a', description: 'd' })).json().id as string;
  const itemsUrl = `/v1/allowlists/${id}/items`;
  await call('POST', itemsUrl, { items: ['1.2.3.4'], description: 'x' });
  const itemId = ((await call('GET', itemsUrl)).json().items as Json[])[0]!.id as string;
  const snapshot = async () => [
    (await call('GET', '/v1/allowlists')).body,
    (await call('GET', itemsUrl)).body,
    (await call('GET', `/v1/allowlists/${id}/subscribers`)).body,
  ];
  const before = await snapshot();

  const cases: [string, 'GET' | 'POST' | 'PATCH' | 'DELETE', string, unknown, number, string | RegExp][] = [
    [
      'a bad IP among good ones',
      'POST',
      itemsUrl,
      { items: ['5.6.7.8', 'bar'], description: 'x' },
      400,
      "items: invalid ip address 'bar': expected an IPv4 or IPv6 address, or a CIDR range",
    ],
    ['an octet over 255', 'POST', itemsUrl, { items: ['1.1.1.256'] }, 400, /invalid ip address '1\.1\.1\.256'/],
    ['a bad CIDR', 'POST', itemsUrl, { items: ['1.1.1.1/2/3'] }, 400, /invalid ip range '1\.1\.1\.1\/2\/3'/],
    ['a prefix too long', 'POST', itemsUrl, { items: ['10.0.0.0/33'] }, 400, /invalid ip range/],
    ['no items', 'POST', itemsUrl, { items: [], description: 'x' }, 400, /items/],
    ['items not a list', 'POST', itemsUrl, { items: '1.2.3.4' }, 400, /items in body must be of type array/],
    [
      'a bad date',
      'POST',
      itemsUrl,
      { items: ['9.9.9.9'], expiration: 'tomorrow' },
      400,
      "expiration: invalid date-time 'tomorrow': expected ISO 8601, such as 2030-01-31T12:00:00Z",
    ],
    [
      'an impossible date',
      'POST',
      itemsUrl,
      { items: ['9.9.9.9'], expiration: '2030-02-30T00:00:00Z' },
      400,
      /invalid date-time '2030-02-30T00:00:00Z'/,
    ],
    ['month 13', 'PATCH', `${itemsUrl}/${itemId}`, { expiration: '2030-13-01' }, 400, /invalid date-time/],
    ['expiration a number', 'PATCH', `${itemsUrl}/${itemId}`, { expiration: 12 }, 400, /expiration/],
    ['not JSON', 'POST', '/v1/allowlists', '{"name":', 400, /invalid JSON body/],
    ['an empty body', 'POST', '/v1/allowlists', '', 400, 'EOF'],
    ['no name', 'POST', '/v1/allowlists', { description: 'x' }, 400, /name in body is required/],
    ['an empty name', 'POST', '/v1/allowlists', { name: '' }, 400, /name in body should be at least 1 chars long/],
    ['a name taken', 'POST', '/v1/allowlists', { name: 'a' }, 409, "allowlist 'a' already exists"],
    ['page 0', 'GET', '/v1/allowlists?page=0', undefined, 400, "page must be an integer between 1 and 1000000000, got '0'"],
    ['page -1', 'GET', '/v1/allowlists?page=-1', undefined, 400, /page must be an integer/],
    ['size 10^6', 'GET', '/v1/allowlists?size=1000000', undefined, 400, "size must be an integer between 1 and 1000, got '1000000'"],
    ['size 0', 'GET', `${itemsUrl}?size=0`, undefined, 400, /size must be an integer/],
    ['size abc', 'GET', `/v1/allowlists/${id}/subscribers?size=abc`, undefined, 400, /size must be an integer/],
    ['an unknown list', 'GET', '/v1/allowlists/000000000000000000000000', undefined, 404, "allowlist '000000000000000000000000' not found"],
    ['items of an unknown list', 'POST', '/v1/allowlists/nope/items', { items: ['1.2.3.4'] }, 404, "allowlist 'nope' not found"],
    ['patch an unknown list', 'PATCH', '/v1/allowlists/nope', { name: 'b' }, 404, "allowlist 'nope' not found"],
    ['delete an unknown list', 'DELETE', '/v1/allowlists/nope', undefined, 404, "allowlist 'nope' not found"],
    ['an unknown item', 'GET', `${itemsUrl}/nope`, undefined, 404, `item 'nope' not found in allowlist '${id}'`],
    ['patch an unknown item', 'PATCH', `${itemsUrl}/nope`, { description: 'x' }, 404, /item 'nope' not found/],
    ['delete an unknown item', 'DELETE', `${itemsUrl}/nope`, undefined, 404, /item 'nope' not found/],
    [
      'an unknown entity type',
      'POST',
      `/v1/allowlists/${id}/subscribers`,
      { ids: ['x'], entity_type: 'planet' },
      400,
      /entity_type must be one of org, engine, remediation_component_integration, firewall_integration, tag, got 'planet'/,
    ],
    ['no ids', 'POST', `/v1/allowlists/${id}/subscribers`, { ids: [], entity_type: 'tag' }, 400, /ids/],
    ['force=maybe', 'DELETE', `/v1/allowlists/${id}?force=maybe`, undefined, 400, "force must be true or false, got 'maybe'"],
  ];
  for (const [what, method, url, payload, status, message] of cases) {
    const r = await call(method, url, payload);
    assert.equal(r.status, status, `${what}: ${r.body}`);
    assert.deepEqual(Object.keys(r.json()), ['message'], what);
    if (typeof message === 'string') assert.equal(r.json().message, message, what);
    else assert.match(r.json().message as string, message, what);
  }
  assert.deepEqual(await snapshot(), before);
});

test('key kinds: the admin API takes admin keys only, bouncer routes refuse admin keys', async (t) => {
  const { ta, key } = await setup(t);
  const bouncerKey = await addBouncer(ta, 'fw01');
  const forbidden = '{"message":"access forbidden"}';
  for (const headers of [{}, { 'x-api-key': bouncerKey }, { 'x-api-key': 'wrong' }, { authorization: `Bearer ${key}` }]) {
    for (const [method, url] of [
      ['GET', '/v1/allowlists'],
      ['POST', '/v1/allowlists'],
    ] as const) {
      const r = await ta.admin.inject({ method, url, headers, payload: method === 'POST' ? { name: 'x' } : undefined });
      assert.equal(r.statusCode, 403, JSON.stringify(headers));
      assert.equal(r.body, forbidden);
    }
  }
  const asBouncer = await bouncerGet(ta, key, '/v1/decisions/stream?startup=true');
  assert.equal(asBouncer.statusCode, 403);
  assert.equal(asBouncer.body, forbidden);
  // the admin listener serves nothing else
  assert.equal((await ta.admin.inject({ method: 'GET', url: '/v1/decisions', headers: { 'x-api-key': key } })).statusCode, 404);
  assert.equal((await ta.admin.inject({ method: 'GET', url: '/v1/allowlists', headers: { 'x-api-key': key } })).json().total, 0);
});
