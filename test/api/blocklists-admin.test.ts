import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAPI_LIST_ID } from '../../src/domain/blocklist.js';
import { adminClient, type Json } from '../helpers/admin.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { addAdminKey, addBouncer, addMachine, bouncerGet, cscliAlert, login, pushAlerts } from '../helpers/actors.js';

const ID = /^[0-9a-f]{24}$/;
const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const ta = await buildTestApp(t);
  const key = await addAdminKey(ta);
  return { ta, key, call: adminClient(ta, key) };
}

const ZERO_STATS = (count: number) => ({
  content_stats: {
    total_seen: 0,
    total_fire: 0,
    total_seen_1m: 0,
    total_in_other_lists: 0,
    total_false_positive: 0,
    false_positive_removed_by_crowdsec: 0,
    most_present_behaviors: [],
    most_present_categories: [],
    most_present_scenarios: [],
    top_as: [],
    top_attacking_countries: [],
    top_ips: [],
    updated_at: null,
  },
  usage_stats: {
    engines_subscribed_directly: 0,
    engines_subscribed_through_org: 0,
    engines_subscribed_through_tag: 0,
    total_subscribed_engines: 0,
    total_subscribed_organizations: 0,
    updated_at: null,
  },
  addition_2days: 0,
  addition_month: 0,
  suppression_2days: 0,
  suppression_month: 0,
  change_2days_percentage: 0,
  change_month_percentage: 0,
  count,
  updated_at: null,
});

/** The exact bytes a list answers with, its id, times and organization taken from `got` once they match their formats. */
function expectList(got: Json, want: { name: string; description: string; count: number; label?: string; subscribers?: unknown[] } & Json) {
  assert.match(got.id as string, ID);
  assert.match(got.created_at as string, ISO_MICROS);
  assert.match(got.updated_at as string, ISO_MICROS);
  assert.match(got.organization_id as string, /^lapis-[0-9a-f]{16}$/);
  const { name, description, count, label, subscribers, ...extra } = want;
  return JSON.stringify({
    id: got.id,
    created_at: got.created_at,
    updated_at: got.updated_at,
    name,
    label: label ?? name,
    description,
    references: want.references ?? [],
    is_private: true,
    tags: want.tags ?? [],
    pricing_tier: 'free',
    source: 'custom',
    stats: ZERO_STATS(count),
    from_cti_query: null,
    since: null,
    shared_with: [],
    organization_id: got.organization_id,
    subscribers: subscribers ?? [],
    categories: [],
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'references' && k !== 'tags')),
  });
}

test("the quickstart's sequence: create, list, add IPs, subscribe, subscribers, with the Service API's exact shapes", async (t) => {
  const { ta, call } = await setup(t);
  await addMachine(ta, 'SECENGINEID5678');
  const created = await call('POST', '/v1/blocklists', '{"name":"my_test_blocklist","description":"testing blocklists feature"}');
  assert.equal(created.status, 201, created.body);
  const list = created.json();
  assert.equal(created.body, expectList(list, { name: 'my_test_blocklist', description: 'testing blocklists feature', count: 0 }));
  const id = list.id as string;

  const got = await call('GET', `/v1/blocklists/${id}`);
  assert.equal(got.status, 200);
  assert.equal(got.body, created.body);

  const added = await call('POST', `/v1/blocklists/${id}/ips`, { ips: ['1.2.3.4', '5.6.7.8', '10.0.0.0/24', '2001:db8::1'] });
  assert.equal(added.status, 201, added.body);
  assert.equal(added.body, '');
  // an IP already present takes the new expiration
  const again = await call('POST', `/v1/blocklists/${id}/ips`, { ips: ['1.2.3.4/32'], expiration: '2030-01-01T00:00:00.000Z' });
  assert.equal(again.status, 201, again.body);
  const items = await ta.db
    .selectFrom('blocklist_items')
    .select(['value', 'expires_at'])
    .where('blocklist_id', '=', id)
    .orderBy('value')
    .execute();
  assert.deepEqual(
    items.map((i) => [i.value, i.expires_at === null ? null : Number(i.expires_at)]),
    [
      ['1.2.3.4', Date.parse('2030-01-01T00:00:00Z')],
      ['10.0.0.0/24', null],
      ['2001:db8::1', null],
      ['5.6.7.8', null],
    ],
  );

  const sub = await call('POST', `/v1/blocklists/${id}/subscribers`, {
    entity_type: 'engine',
    ids: ['SECENGINEID5678'],
    remediation: 'ban',
  });
  assert.equal(sub.status, 200, sub.body);
  assert.equal(sub.body, '{"updated":["SECENGINEID5678"],"errors":[]}');
  const subs = await call('GET', `/v1/blocklists/${id}/subscribers`);
  assert.equal(
    subs.body,
    JSON.stringify({
      items: [{ id: 'SECENGINEID5678', entity_type: 'engine', remediation: 'ban' }],
      total: 1,
      page: 1,
      size: 50,
      pages: 1,
      links: {
        first: `/v1/blocklists/${id}/subscribers?size=50&page=1`,
        last: `/v1/blocklists/${id}/subscribers?size=50&page=1`,
        self: `/v1/blocklists/${id}/subscribers?page=1&size=50`,
        next: null,
        prev: null,
      },
    }),
  );

  const all = await call('GET', '/v1/blocklists');
  assert.equal(all.status, 200);
  const page = all.json();
  assert.deepEqual(Object.keys(page), ['items', 'total', 'page', 'size', 'pages', 'links']);
  assert.deepEqual([page.total, page.page, page.size, page.pages], [2, 1, 50, 1]);
  const [lapi, mine] = page.items as Json[];
  const counted = {
    name: 'my_test_blocklist',
    description: 'testing blocklists feature',
    count: 4,
    subscribers: [{ entity_type: 'engine', count: 1 }],
  };
  assert.equal(JSON.stringify(mine), expectList(mine!, counted));
  assert.equal((await call('GET', `/v1/blocklists/${id}`)).body, JSON.stringify(mine));
  // the built-in list of this instance's decisions, read-only
  assert.equal(
    JSON.stringify(lapi),
    expectList(lapi!, {
      name: 'lapi',
      description: "This instance's active IP and range decisions (read-only)",
      count: 0,
      read_only: true,
    }),
  );
  assert.equal(lapi!.id, LAPI_LIST_ID);
  assert.deepEqual(
    ((await call('GET', '/v1/blocklists?subscribed_only=true')).json().items as Json[]).map((l) => l.name),
    ['my_test_blocklist'],
  );
  assert.deepEqual(
    ((await call('GET', '/v1/blocklists?exclude_subscribed=true')).json().items as Json[]).map((l) => l.name),
    ['lapi'],
  );

  const patched = await call('PATCH', `/v1/blocklists/${id}`, {
    label: 'My list',
    description: 'new',
    references: ['https://example.org/x'],
    tags: ['a'],
    from_cti_query: 'behaviors.label:"SSH Bruteforce"',
    since: '7d',
  });
  assert.equal(patched.status, 200, patched.body);
  const p = patched.json();
  assert.deepEqual(
    [p.label, p.description, p.references, p.tags, p.from_cti_query, p.since],
    ['My list', 'new', ['https://example.org/x'], ['a'], null, null],
  );
  assert.equal(p.name, 'my_test_blocklist');

  const unsub = await call('DELETE', `/v1/blocklists/${id}/subscribers/SECENGINEID5678?entity_type=engine`);
  assert.equal(unsub.status, 200);
  assert.equal(unsub.body, '{}');
  assert.equal((await call('DELETE', `/v1/blocklists/${id}/subscribers/SECENGINEID5678`)).status, 404);
  assert.equal((await call('POST', `/v1/blocklists/${id}/ips/delete`, { ips: ['5.6.7.8', '9.9.9.9'] })).status, 204);
  assert.equal(((await call('GET', `/v1/blocklists/${id}`)).json().stats as Json).count, 3);
});

test('bulk_overwrite and upload replace the content; upload takes one multipart file, expiration and ignore_invalid_ips', async (t) => {
  const { ta, call } = await setup(t);
  const id = (await call('POST', '/v1/blocklists', { name: 'b', description: 'd' })).json().id as string;
  await call('POST', `/v1/blocklists/${id}/ips`, { ips: ['1.1.1.1', '2.2.2.2'] });
  const over = await call('POST', `/v1/blocklists/${id}/ips/bulk_overwrite`, { ips: ['2.2.2.2', '3.3.3.3'] });
  assert.equal(over.status, 202, over.body);
  const values = async () =>
    (
      await ta.db.selectFrom('blocklist_items').select(['value', 'expires_at']).where('blocklist_id', '=', id).orderBy('value').execute()
    ).map((r) => [r.value, r.expires_at === null ? null : Number(r.expires_at)]);
  assert.deepEqual(await values(), [
    ['2.2.2.2', null],
    ['3.3.3.3', null],
  ]);

  const upload = (text: string, query = '', boundary = '----lapis1234') =>
    ta.admin.inject({
      method: 'POST',
      url: `/v1/blocklists/${id}/upload${query}`,
      headers: { 'x-api-key': 'an-admin-key-0123456789abcdef', 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="ips.txt"\r\nContent-Type: text/plain\r\n\r\n${text}\r\n--${boundary}--\r\n`,
    });
  const up = await upload('# office\n4.4.4.4\n10.0.0.0/8 ; a comment\n\n2001:db8::/32\n', '?expiration=2031-01-01T00:00:00Z');
  assert.equal(up.statusCode, 201, up.body);
  assert.equal(up.body, '{}');
  const when = Date.parse('2031-01-01T00:00:00Z');
  assert.deepEqual(await values(), [
    ['10.0.0.0/8', when],
    ['2001:db8::/32', when],
    ['4.4.4.4', when],
  ]);
  const bad = await upload('5.5.5.5\nnot-an-ip\n');
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.body, `{"message":"file: line 2: invalid ip address 'not-an-ip': expected an IPv4 or IPv6 address, or a CIDR range"}`);
  assert.equal((await values()).length, 3);
  const ignored = await upload('5.5.5.5\nnot-an-ip\n', '?ignore_invalid_ips=true');
  assert.equal(ignored.statusCode, 201, ignored.body);
  assert.deepEqual(await values(), [['5.5.5.5', null]]);
  // the part named otherwise, JSON instead of a form, a body cut short
  const wrongField = await ta.admin.inject({
    method: 'POST',
    url: `/v1/blocklists/${id}/upload`,
    headers: { 'x-api-key': 'an-admin-key-0123456789abcdef', 'content-type': 'multipart/form-data; boundary=x' },
    payload: '--x\r\nContent-Disposition: form-data; name="other"\r\n\r\n1.2.3.4\r\n--x--\r\n',
  });
  assert.equal(wrongField.statusCode, 400);
  assert.equal(wrongField.body, `{"message":"multipart/form-data body has no field 'file'"}`);
  const json = await call('POST', `/v1/blocklists/${id}/upload`, { file: '1.2.3.4' });
  assert.equal(json.status, 400);
  assert.match(json.json().message as string, /expected a multipart\/form-data body/);
  assert.deepEqual(await values(), [['5.5.5.5', null]]);
});

test('412 above 20,000 values in one request, 20,000 accepted', async (t) => {
  const { ta, call } = await setup(t);
  const id = (await call('POST', '/v1/blocklists', { name: 'big', description: 'd' })).json().id as string;
  const ips = (n: number) => Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  for (const url of [`/v1/blocklists/${id}/ips`, `/v1/blocklists/${id}/ips/bulk_overwrite`, `/v1/blocklists/${id}/ips/delete`]) {
    const r = await call('POST', url, { ips: ips(20_001) });
    assert.equal(r.status, 412, url);
    assert.equal(r.body, '{"message":"Payload too large for one operation, limit is 20000 IPs per request (got 20001)"}');
  }
  assert.equal((await ta.db.selectFrom('blocklist_items').select('value').execute()).length, 0);
  assert.equal((await call('POST', `/v1/blocklists/${id}/ips`, { ips: ips(20_000) })).status, 201);
  assert.equal(((await call('GET', `/v1/blocklists/${id}`)).json().stats as Json).count, 20_000);
});

test('lists that follow a URL: url, refresh_interval and feed_status on the wire, read-only content; lapi is read-only', async (t) => {
  const { call } = await setup(t);
  const r = await call('POST', '/v1/blocklists', {
    name: 'firehol',
    description: 'level 1',
    url: 'http://127.0.0.1:9/firehol_level1.netset',
  });
  assert.equal(r.status, 201, r.body);
  const feed = r.json();
  assert.equal(
    r.body,
    expectList(feed, {
      name: 'firehol',
      description: 'level 1',
      count: 0,
      url: 'http://127.0.0.1:9/firehol_level1.netset',
      refresh_interval: '1h0m0s',
      feed_status: { last_check: null, last_success: null, error: null, etag: null },
      read_only: true,
    }),
  );
  const moved = await call('PATCH', `/v1/blocklists/${feed.id as string}`, { refresh_interval: '15m' });
  assert.equal(moved.status, 200, moved.body);
  assert.deepEqual([moved.json().url, moved.json().refresh_interval], ['http://127.0.0.1:9/firehol_level1.netset', '15m0s']);
  const readOnly = [
    ['POST', `/v1/blocklists/${feed.id as string}/ips`, { ips: ['1.2.3.4'] }, "blocklist 'firehol' is read-only: it follows a URL"],
    [
      'POST',
      `/v1/blocklists/${LAPI_LIST_ID}/ips`,
      { ips: ['1.2.3.4'] },
      "blocklist 'lapi' is read-only: it holds this instance's decisions",
    ],
    [
      'POST',
      `/v1/blocklists/${LAPI_LIST_ID}/ips/bulk_overwrite`,
      { ips: [] },
      "blocklist 'lapi' is read-only: it holds this instance's decisions",
    ],
    [
      'POST',
      `/v1/blocklists/${LAPI_LIST_ID}/ips/delete`,
      { ips: ['1.2.3.4'] },
      "blocklist 'lapi' is read-only: it holds this instance's decisions",
    ],
    ['PATCH', `/v1/blocklists/${LAPI_LIST_ID}`, { label: 'x' }, "blocklist 'lapi' is read-only"],
    ['DELETE', `/v1/blocklists/${LAPI_LIST_ID}?force=true`, undefined, "blocklist 'lapi' is built in and cannot be deleted"],
  ] as const;
  for (const [method, url, body, message] of readOnly) {
    const res = await call(method, url, body);
    assert.equal(res.status, 403, `${method} ${url}: ${res.body}`);
    assert.equal(res.body, JSON.stringify({ message }));
  }
  const custom = (await call('POST', '/v1/blocklists', { name: 'c', description: 'd' })).json().id as string;
  const notFeed = await call('PATCH', `/v1/blocklists/${custom}`, { url: 'https://example.org/x.txt' });
  assert.equal(notFeed.status, 400);
  assert.equal(notFeed.body, `{"message":"blocklist 'c' does not follow a URL: create a list with a url"}`);
  assert.equal((await call('GET', `/v1/blocklists/${custom}`)).json().url, undefined);
});

test('delete: 409 while subscribed, force ends the subscription, 404 after', async (t) => {
  const { call } = await setup(t);
  const id = (await call('POST', '/v1/blocklists', { name: 'x', description: 'd' })).json().id as string;
  assert.equal((await call('POST', `/v1/blocklists/${id}/subscribers`, { entity_type: 'tag', ids: ['edge'] })).status, 200);
  const refused = await call('DELETE', `/v1/blocklists/${id}`);
  assert.equal(refused.status, 409);
  assert.equal(refused.body, `{"message":"blocklist 'x' has 1 subscriber(s): unsubscribe them first, or delete with force=true"}`);
  assert.equal((await call('GET', `/v1/blocklists/${id}`)).status, 200);
  assert.equal((await call('DELETE', `/v1/blocklists/${id}?force=true`)).status, 204);
  assert.equal((await call('GET', `/v1/blocklists/${id}`)).status, 404);
  assert.equal((await call('DELETE', `/v1/blocklists/${id}`)).status, 404);
});

async function tables(ta: TestApp) {
  return Promise.all([
    ta.db.selectFrom('blocklists').selectAll().orderBy('id').execute(),
    ta.db.selectFrom('blocklist_items').selectAll().orderBy('value').execute(),
    ta.db.selectFrom('blocklist_subscribers').selectAll().orderBy('entity_id').execute(),
    ta.db.selectFrom('decisions').select(['id', 'value', 'until']).orderBy('id').execute(),
  ]);
}

test('bad input: a 4xx {"message"} naming the problem, and nothing stored', async (t) => {
  const { ta, call } = await setup(t);
  const id = (await call('POST', '/v1/blocklists', { name: 'a', description: 'd' })).json().id as string;
  await call('POST', `/v1/blocklists/${id}/ips`, { ips: ['1.2.3.4'] });
  await call('POST', `/v1/blocklists/${id}/subscribers`, { entity_type: 'org', remediation: 'captcha' });
  const before = await tables(ta);
  const none = '000000000000000000000000';
  const forbidden = (k: string) => `validation failure list:\n${k} in body is a forbidden property`;
  const cases: [string, 'GET' | 'POST' | 'PATCH' | 'DELETE', string, unknown, number, string | RegExp][] = [
    [
      'a bad IP among good ones',
      'POST',
      `/v1/blocklists/${id}/ips`,
      { ips: ['5.6.7.8', 'bar'] },
      400,
      "ips: invalid ip address 'bar': expected an IPv4 or IPv6 address, or a CIDR range",
    ],
    ['an octet over 255', 'POST', `/v1/blocklists/${id}/ips`, { ips: ['1.1.1.256'] }, 400, /invalid ip address '1\.1\.1\.256'/],
    ['a bad CIDR', 'POST', `/v1/blocklists/${id}/ips/bulk_overwrite`, { ips: ['10.0.0.0/33'] }, 400, /invalid ip range '10\.0\.0\.0\/33'/],
    ['a bad value to delete', 'POST', `/v1/blocklists/${id}/ips/delete`, { ips: ['x'] }, 400, /invalid ip address 'x'/],
    ['ips not a list', 'POST', `/v1/blocklists/${id}/ips`, { ips: '1.2.3.4' }, 400, /ips in body must be of type array/],
    ['no ips', 'POST', `/v1/blocklists/${id}/ips`, {}, 400, /ips in body is required/],
    [
      'a bad expiration',
      'POST',
      `/v1/blocklists/${id}/ips`,
      { ips: ['9.9.9.9'], expiration: 'tomorrow' },
      400,
      "expiration: invalid date-time 'tomorrow': expected ISO 8601, such as 2030-01-31T12:00:00Z",
    ],
    ['an unknown key on add', 'POST', `/v1/blocklists/${id}/ips`, { ips: ['9.9.9.9'], scope: 'ip' }, 400, forbidden('scope')],
    ['an unknown key on create', 'POST', '/v1/blocklists', { name: 'n', description: 'd', id: none }, 400, forbidden('id')],
    ['an unknown key on patch', 'PATCH', `/v1/blocklists/${id}`, { name: 'renamed' }, 400, forbidden('name')],
    ['no description', 'POST', '/v1/blocklists', { name: 'n' }, 400, /description in body is required/],
    ['an empty name', 'POST', '/v1/blocklists', { name: '', description: 'd' }, 400, /name in body should be at least 1 chars long/],
    ['a name taken', 'POST', '/v1/blocklists', { name: 'a', description: 'd' }, 409, "blocklist 'a' already exists"],
    ['the built-in name', 'POST', '/v1/blocklists', { name: 'lapi', description: 'd' }, 409, "blocklist 'lapi' already exists"],
    [
      'a feed URL not http(s)',
      'POST',
      '/v1/blocklists',
      { name: 'f', description: 'd', url: 'file:///etc/passwd' },
      400,
      "feed url must be http or https: 'file:///etc/passwd'",
    ],
    [
      'a feed URL that is no URL',
      'POST',
      '/v1/blocklists',
      { name: 'f', description: 'd', url: 'firehol' },
      400,
      "feed url is not a valid URL: 'firehol'",
    ],
    [
      'a refresh under a minute',
      'POST',
      '/v1/blocklists',
      { name: 'f', description: 'd', url: 'http://127.0.0.1/x', refresh_interval: '30s' },
      400,
      "refresh_interval must be at least 1m, got '30s'",
    ],
    [
      'a refresh that is no duration',
      'POST',
      '/v1/blocklists',
      { name: 'f', description: 'd', url: 'http://127.0.0.1/x', refresh_interval: 'daily' },
      400,
      /^refresh_interval: /,
    ],
    ['a refresh without url', 'POST', '/v1/blocklists', { name: 'f', description: 'd', refresh_interval: '1h' }, 400, /give a url too/],
    [
      'an unknown subscriber type',
      'POST',
      `/v1/blocklists/${id}/subscribers`,
      { entity_type: 'planet', ids: ['x'] },
      400,
      "entity_type must be one of org, tag, engine, firewall_integration, remediation_component_integration, got 'planet'",
    ],
    [
      'org with ids',
      'POST',
      `/v1/blocklists/${id}/subscribers`,
      { entity_type: 'org', ids: ['x'] },
      400,
      "Organization type subscription can't have ids",
    ],
    ['a tag without ids', 'POST', `/v1/blocklists/${id}/subscribers`, { entity_type: 'tag' }, 400, 'a tag subscription needs ids'],
    [
      'an empty remediation',
      'POST',
      `/v1/blocklists/${id}/subscribers`,
      { entity_type: 'tag', ids: ['t'], remediation: ' ' },
      400,
      /remediation must be 1 to 64 characters/,
    ],
    [
      'an unknown key on subscribe',
      'POST',
      `/v1/blocklists/${id}/subscribers`,
      { entity_type: 'tag', ids: ['t'], force: true },
      400,
      forbidden('force'),
    ],
    [
      'unsubscribe with a bad type',
      'DELETE',
      `/v1/blocklists/${id}/subscribers/x?entity_type=planet`,
      undefined,
      400,
      /entity_type must be one of/,
    ],
    [
      'both subscription filters',
      'GET',
      '/v1/blocklists?subscribed_only=true&exclude_subscribed=true',
      undefined,
      400,
      'subscribed_only and exclude_subscribed cannot both be true',
    ],
    [
      'subscribed_only=yes',
      'GET',
      '/v1/blocklists?subscribed_only=yes',
      undefined,
      400,
      "subscribed_only must be true or false, got 'yes'",
    ],
    ['size 0', 'GET', '/v1/blocklists?size=0', undefined, 400, /size must be an integer/],
    ['force=maybe', 'DELETE', `/v1/blocklists/${id}?force=maybe`, undefined, 400, "force must be true or false, got 'maybe'"],
    ['an unknown list', 'GET', `/v1/blocklists/${none}`, undefined, 404, `blocklist '${none}' not found`],
    ['patch an unknown list', 'PATCH', `/v1/blocklists/${none}`, { label: 'x' }, 404, `blocklist '${none}' not found`],
    ['delete an unknown list', 'DELETE', `/v1/blocklists/${none}`, undefined, 404, `blocklist '${none}' not found`],
    ['IPs of an unknown list', 'POST', `/v1/blocklists/${none}/ips`, { ips: ['1.2.3.4'] }, 404, `blocklist '${none}' not found`],
    ['overwrite an unknown list', 'POST', `/v1/blocklists/${none}/ips/bulk_overwrite`, { ips: [] }, 404, `blocklist '${none}' not found`],
    [
      'delete IPs of an unknown list',
      'POST',
      `/v1/blocklists/${none}/ips/delete`,
      { ips: ['1.2.3.4'] },
      404,
      `blocklist '${none}' not found`,
    ],
    ['subscribers of an unknown list', 'GET', `/v1/blocklists/${none}/subscribers`, undefined, 404, `blocklist '${none}' not found`],
    [
      'subscribe to an unknown list',
      'POST',
      `/v1/blocklists/${none}/subscribers`,
      { entity_type: 'org' },
      404,
      `blocklist '${none}' not found`,
    ],
    ['unsubscribe from an unknown list', 'DELETE', `/v1/blocklists/${none}/subscribers/x`, undefined, 404, `blocklist '${none}' not found`],
    ['an empty body', 'POST', '/v1/blocklists', '', 400, 'EOF'],
    ['not JSON', 'POST', `/v1/blocklists/${id}/ips`, '{"ips":', 400, /invalid JSON body/],
  ];
  for (const [what, method, url, payload, status, message] of cases) {
    const r = await call(method, url, payload);
    assert.equal(r.status, status, `${what}: ${r.body}`);
    assert.deepEqual(Object.keys(r.json()), ['message'], what);
    if (typeof message === 'string') assert.equal(r.json().message, message, what);
    else assert.match(r.json().message as string, message, what);
  }
  assert.deepEqual(await tables(ta), before);
  // subscribing unknown entities answers 200 with the reasons, and stores nothing either
  const sub = await call('POST', `/v1/blocklists/${id}/subscribers`, { entity_type: 'engine', ids: ['ghost'] });
  assert.equal(sub.body, `{"updated":[],"errors":[{"ghost":"no machine named 'ghost'"}]}`);
  assert.deepEqual(await tables(ta), before);
});

type Decision = { origin: string; scenario: string; scope: string; type: string; value: string; duration: string };
type Stream = { new: Decision[] | null; deleted: Decision[] | null };

test('a list subscribed `org` becomes decisions of origin lists, scenario lists:<name>, type = remediation, for a real bouncer', async (t) => {
  const { ta, call } = await setup(t);
  await addMachine(ta, 'web-01');
  await pushAlerts(ta, await login(ta, 'web-01'), [cscliAlert('198.51.100.1')]);
  const fw = await addBouncer(ta, 'fw01', 'key-of-fw01-0123456789');
  const stream = async (startup = false) =>
    JSON.parse((await bouncerGet(ta, fw, `/v1/decisions/stream${startup ? '?startup=true' : ''}`)).body) as Stream;
  const pick = (ds: Decision[] | null) => (ds ?? []).map((d) => [d.value, d.origin, d.scenario, d.scope, d.type]).sort();
  await stream(true);

  const id = (await call('POST', '/v1/blocklists', { name: 'scanners', description: 'd' })).json().id as string;
  await call('POST', `/v1/blocklists/${id}/ips`, { ips: ['192.0.2.1', '203.0.113.0/24'] });
  // nobody subscribed: nothing is served
  assert.deepEqual(await stream(), { new: null, deleted: null });
  const sub = await call('POST', `/v1/blocklists/${id}/subscribers`, { entity_type: 'org', remediation: 'captcha' });
  assert.equal(sub.status, 200, sub.body);
  const org = (await call('GET', `/v1/blocklists/${id}`)).json().organization_id as string;
  assert.equal(sub.body, JSON.stringify({ updated: [org], errors: [] }));

  const d1 = await stream();
  assert.deepEqual(pick(d1.new), [
    ['192.0.2.1', 'lists', 'lists:scanners', 'Ip', 'captcha'],
    ['203.0.113.0/24', 'lists', 'lists:scanners', 'Range', 'captcha'],
  ]);
  assert.equal(d1.deleted, null);
  const q = JSON.parse((await bouncerGet(ta, fw, '/v1/decisions?ip=192.0.2.1')).body) as Decision[];
  assert.deepEqual(pick(q), [['192.0.2.1', 'lists', 'lists:scanners', 'Ip', 'captcha']]);
  const inRange = JSON.parse((await bouncerGet(ta, fw, '/v1/decisions?ip=203.0.113.9')).body) as Decision[];
  assert.deepEqual(pick(inRange), [['203.0.113.0/24', 'lists', 'lists:scanners', 'Range', 'captcha']]);
  // the startup pull holds them beside the instance's own decision
  assert.deepEqual((await stream(true)).new!.map((d) => d.value).sort(), ['192.0.2.1', '198.51.100.1', '203.0.113.0/24']);

  // the built-in list counts the instance's own decisions, not those made from lists
  assert.equal(((await call('GET', `/v1/blocklists/${LAPI_LIST_ID}`)).json().stats as Json).count, 1);

  // an item deleted, an item added, then the subscription ended: each reaches the stream once
  await call('POST', `/v1/blocklists/${id}/ips/delete`, { ips: ['192.0.2.1'] });
  await call('POST', `/v1/blocklists/${id}/ips`, { ips: ['2001:db8::7'] });
  const d2 = await stream();
  assert.deepEqual(pick(d2.deleted), [['192.0.2.1', 'lists', 'lists:scanners', 'Ip', 'captcha']]);
  assert.deepEqual(pick(d2.new), [['2001:db8::7', 'lists', 'lists:scanners', 'Ip', 'captcha']]);
  assert.deepEqual(await stream(), { new: null, deleted: null });
  assert.equal((await call('DELETE', `/v1/blocklists/${id}/subscribers/${org}`)).status, 200);
  const d3 = await stream();
  assert.deepEqual((d3.deleted ?? []).map((d) => d.value).sort(), ['2001:db8::7', '203.0.113.0/24']);
  assert.equal(d3.new, null);
  assert.equal((await bouncerGet(ta, fw, '/v1/decisions?ip=203.0.113.9')).body, 'null');
});
