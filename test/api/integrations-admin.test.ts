import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashApiKey } from '../../src/auth/api-key.js';
import { adminClient, type Json } from '../helpers/admin.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { addAdminKey } from '../helpers/actors.js';

const ID = /^[0-9a-f]{24}$/;
const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const ta = await buildTestApp(t);
  return { ta, call: adminClient(ta, await addAdminKey(ta)) };
}

/** The exact bytes of an integration, its id, times and organization taken from `got` once they match their formats. */
function expectIntegration(got: Json, want: Json) {
  assert.match(got.id as string, ID);
  assert.match(got.created_at as string, ISO_MICROS);
  assert.match(got.updated_at as string, ISO_MICROS);
  assert.match(got.organization_id as string, /^lapis-[0-9a-f]{16}$/);
  const { credentials, ...rest } = want;
  return JSON.stringify({
    id: got.id,
    name: rest.name,
    organization_id: got.organization_id,
    description: rest.description ?? '',
    created_at: got.created_at,
    updated_at: got.updated_at,
    entity_type: rest.entity_type,
    output_format: rest.output_format,
    last_pull: null,
    blocklists: rest.blocklists ?? [],
    cves: [],
    fingerprints: [],
    vendors: [],
    endpoint: rest.endpoint,
    stats: { count: rest.count ?? 0 },
    tags: rest.tags ?? [],
    pull_limit: rest.pull_limit ?? null,
    enable_ip_aggregation: rest.enable_ip_aggregation ?? false,
    ...(credentials ? { credentials } : {}),
  });
}

// a plain object: node:sqlite's rows have no prototype, which deepEqual tells apart
const secretHash = async (ta: TestApp, id: string) => ({
  ...(await ta.db.selectFrom('integrations').select(['secret_hash', 'username']).where('id', '=', id).executeTakeFirstOrThrow()),
});

test("the quickstart's integration: created with credentials shown once, read without them, endpoint from the request's host", async (t) => {
  const { ta, call } = await setup(t);
  const created = await call(
    'POST',
    '/v1/integrations',
    '{"name":"test_integration_1","description":"my test integration","entity_type":"firewall_integration","output_format":"plain_text"}',
    { host: 'lapis.example:8081' },
  );
  assert.equal(created.status, 201, created.body);
  const fw = created.json();
  const creds = fw.credentials as { username: string; password: string };
  assert.deepEqual(Object.keys(creds), ['username', 'password']);
  assert.match(creds.username, /^lapis-[0-9a-f]{12}$/);
  assert.ok(creds.password.length >= 32);
  const endpoint = `http://lapis.example:8081/v1/integrations/${fw.id as string}/content`;
  const base = {
    name: 'test_integration_1',
    description: 'my test integration',
    entity_type: 'firewall_integration',
    output_format: 'plain_text',
    endpoint,
  };
  assert.equal(created.body, expectIntegration(fw, { ...base, credentials: creds }));
  // only the hash is stored, and the password's
  const stored = await secretHash(ta, fw.id as string);
  assert.deepEqual(stored, { secret_hash: hashApiKey(creds.password), username: creds.username });

  const got = await call('GET', `/v1/integrations/${fw.id as string}`, undefined, { host: 'lapis.example:8081' });
  assert.equal(got.status, 200);
  assert.equal(got.body, expectIntegration(fw, base));

  // a remediation component: an API key, and the base URL its bouncer appends /v1/decisions/stream to
  const rc = await call('POST', '/v1/integrations', {
    name: 'worker',
    entity_type: 'remediation_component_integration',
    output_format: 'remediation_component',
    pull_limit: 5000,
    enable_ip_aggregation: true,
    tags: ['edge', 'eu'],
  });
  assert.equal(rc.status, 201, rc.body);
  const w = rc.json();
  const key = (w.credentials as { api_key: string }).api_key;
  assert.deepEqual(Object.keys(w.credentials as Json), ['api_key']);
  assert.equal(
    rc.body,
    expectIntegration(w, {
      name: 'worker',
      entity_type: 'remediation_component_integration',
      output_format: 'remediation_component',
      endpoint: `http://localhost:80/v1/integrations/${w.id as string}`,
      pull_limit: 5000,
      enable_ip_aggregation: true,
      tags: ['edge', 'eu'],
      credentials: { api_key: key },
    }),
  );
  assert.deepEqual(await secretHash(ta, w.id as string), { secret_hash: hashApiKey(key), username: null });

  // the list, its pages, and the tag filter (repeated or a comma list)
  const all = (await call('GET', '/v1/integrations')).json();
  assert.deepEqual([all.total, all.page, all.size, all.pages], [2, 1, 50, 1]);
  assert.deepEqual(
    (all.items as Json[]).map((i) => [i.name, 'credentials' in i]),
    [
      ['test_integration_1', false],
      ['worker', false],
    ],
  );
  assert.deepEqual(all.links, {
    first: '/v1/integrations?size=50&page=1',
    last: '/v1/integrations?size=50&page=1',
    self: '/v1/integrations?page=1&size=50',
    next: null,
    prev: null,
  });
  for (const q of ['tag=eu', 'tag=nope&tag=edge', 'tag=nope,edge'])
    assert.deepEqual(
      ((await call('GET', `/v1/integrations?${q}`)).json().items as Json[]).map((i) => i.name),
      ['worker'],
      q,
    );
  assert.equal((await call('GET', '/v1/integrations?tag=nope')).json().total, 0);
  assert.equal(((await call('GET', '/v1/integrations?size=1&page=2')).json().items as Json[])[0]!.name, 'worker');
});

test('PATCH: fields, credentials only when regenerated (the old secret stops matching)', async (t) => {
  const { ta, call } = await setup(t);
  const fw = (await call('POST', '/v1/integrations', { name: 'f5', entity_type: 'firewall_integration', output_format: 'f5' })).json();
  const id = fw.id as string;
  const old = (fw.credentials as { password: string }).password;
  const before = await secretHash(ta, id);

  const patched = await call('PATCH', `/v1/integrations/${id}`, {
    name: 'f5-edge',
    description: 'the edge F5',
    output_format: 'checkpoint',
    pull_limit: 10000,
    enable_ip_aggregation: true,
    tags: ['edge'],
  });
  assert.equal(patched.status, 200, patched.body);
  const p = patched.json();
  assert.equal('credentials' in p, false);
  assert.deepEqual(
    [p.name, p.description, p.output_format, p.pull_limit, p.enable_ip_aggregation, p.tags],
    ['f5-edge', 'the edge F5', 'checkpoint', 10000, true, ['edge']],
  );
  assert.deepEqual(await secretHash(ta, id), before);
  // pull_limit back to none; enable_ip_aggregation untouched when absent
  const cleared = (await call('PATCH', `/v1/integrations/${id}`, { pull_limit: null })).json();
  assert.deepEqual([cleared.pull_limit, cleared.enable_ip_aggregation], [null, true]);

  const regen = await call('PATCH', `/v1/integrations/${id}`, { regenerate_credentials: true });
  assert.equal(regen.status, 200, regen.body);
  const creds = regen.json().credentials as { username: string; password: string };
  assert.notEqual(creds.password, old);
  const after = await secretHash(ta, id);
  assert.notEqual(after.secret_hash, before.secret_hash);
  assert.equal(after.secret_hash, hashApiKey(creds.password));
  assert.notEqual(after.secret_hash, hashApiKey(old));
  assert.equal(after.username, creds.username);
  assert.equal('credentials' in (await call('GET', `/v1/integrations/${id}`)).json(), false);

  const rc = (
    await call('POST', '/v1/integrations', {
      name: 'rc',
      entity_type: 'remediation_component_integration',
      output_format: 'remediation_component',
    })
  ).json();
  const rcId = rc.id as string;
  const rcBefore = await secretHash(ta, rcId);
  const rcRegen = (await call('PATCH', `/v1/integrations/${rcId}`, { regenerate_credentials: true })).json();
  const key = (rcRegen.credentials as { api_key: string }).api_key;
  assert.notEqual(key, (rc.credentials as { api_key: string }).api_key);
  assert.equal((await secretHash(ta, rcId)).secret_hash, hashApiKey(key));
  assert.notEqual((await secretHash(ta, rcId)).secret_hash, rcBefore.secret_hash);
});

test('blocklists[] and stats.count: the lists reaching an integration by its id, a tag it has, or the organization', async (t) => {
  const { call } = await setup(t);
  const fw = (
    await call('POST', '/v1/integrations', { name: 'fw', entity_type: 'firewall_integration', output_format: 'plain_text', tags: ['edge'] })
  ).json().id as string;
  const list = async (name: string, ips: string[]) => {
    const id = (await call('POST', '/v1/blocklists', { name, description: 'd', label: `${name} label` })).json().id as string;
    await call('POST', `/v1/blocklists/${id}/ips`, { ips });
    return id;
  };
  const direct = await list('direct', ['1.1.1.1', '2.2.2.2']);
  const tagged = await list('tagged', ['3.3.3.3']);
  const everyone = await list('everyone', ['4.4.4.4', '5.5.5.5', '6.6.6.6']);
  await list('unrelated', ['7.7.7.7']);
  const sub = async (id: string, body: Json) => {
    const r = await call('POST', `/v1/blocklists/${id}/subscribers`, body);
    assert.equal((r.json().errors as unknown[]).length, 0, r.body);
  };
  await sub(direct, { entity_type: 'firewall_integration', ids: [fw], remediation: 'ban' });
  await sub(tagged, { entity_type: 'tag', ids: ['edge'], remediation: 'captcha' });
  await sub(everyone, { entity_type: 'org' });
  // the same list also by the organization: the subscription by id gives the remediation
  await sub(direct, { entity_type: 'org', remediation: 'throttle' });
  const got = (await call('GET', `/v1/integrations/${fw}`)).json();
  assert.deepEqual(got.blocklists, [
    { id: direct, name: 'direct', label: 'direct label', remediation: 'ban' },
    { id: tagged, name: 'tagged', label: 'tagged label', remediation: 'captcha' },
    { id: everyone, name: 'everyone', label: 'everyone label', remediation: 'ban' },
  ]);
  assert.deepEqual(got.stats, { count: 6 });
  // a firewall subscription is refused for a remediation component, and the other way round
  const rc = (
    await call('POST', '/v1/integrations', {
      name: 'rc',
      entity_type: 'remediation_component_integration',
      output_format: 'remediation_component',
    })
  ).json().id as string;
  const wrong = (await call('POST', `/v1/blocklists/${tagged}/subscribers`, { entity_type: 'firewall_integration', ids: [rc] })).json();
  assert.deepEqual(wrong, { updated: [], errors: [{ [rc]: `integration '${rc}' is a remediation component integration` }] });
  const subs = (await call('GET', `/v1/blocklists/${direct}/subscribers`)).json().items as Json[];
  assert.deepEqual(
    subs.map((s) => [s.entity_type, s.remediation]),
    [
      ['firewall_integration', 'ban'],
      ['org', 'throttle'],
    ],
  );

  // delete: 409 while subscribed, force unsubscribes it everywhere
  const refused = await call('DELETE', `/v1/integrations/${fw}`);
  assert.equal(refused.status, 409);
  assert.equal(
    refused.body,
    `{"message":"integration '${fw}' is subscribed to 1 list(s): unsubscribe it first, or delete with force=true"}`,
  );
  assert.equal((await call('DELETE', `/v1/integrations/${fw}?force=true`)).status, 204);
  assert.equal((await call('GET', `/v1/integrations/${fw}`)).status, 404);
  assert.deepEqual(
    ((await call('GET', `/v1/blocklists/${direct}/subscribers`)).json().items as Json[]).map((s) => s.entity_type),
    ['org'],
  );
  assert.equal((await call('DELETE', `/v1/integrations/${rc}`)).status, 204);
});

test('bad input: a 4xx {"message"} naming the problem, and nothing stored', async (t) => {
  const { ta, call } = await setup(t);
  const id = (
    await call('POST', '/v1/integrations', { name: 'taken', entity_type: 'firewall_integration', output_format: 'plain_text' })
  ).json().id as string;
  const snapshot = () =>
    Promise.all([
      ta.db.selectFrom('integrations').selectAll().orderBy('id').execute(),
      ta.db.selectFrom('entity_tags').selectAll().orderBy('name').execute(),
    ]);
  const before = await snapshot();
  const none = 'nope';
  const fw = { entity_type: 'firewall_integration', output_format: 'plain_text' };
  const forbidden = (k: string) => `validation failure list:\n${k} in body is a forbidden property`;
  const cases: [string, 'GET' | 'POST' | 'PATCH' | 'DELETE', string, unknown, number, string | RegExp][] = [
    ['no name', 'POST', '/v1/integrations', fw, 400, /name in body is required/],
    ['no entity_type', 'POST', '/v1/integrations', { name: 'n', output_format: 'plain_text' }, 400, /entity_type in body is required/],
    [
      'no output_format',
      'POST',
      '/v1/integrations',
      { name: 'n', entity_type: 'firewall_integration' },
      400,
      /output_format in body is required/,
    ],
    [
      'an unknown entity_type',
      'POST',
      '/v1/integrations',
      { ...fw, name: 'n', entity_type: 'engine' },
      400,
      "entity_type must be one of firewall_integration, remediation_component_integration, got 'engine'",
    ],
    [
      'an unknown output_format',
      'POST',
      '/v1/integrations',
      { ...fw, name: 'n', output_format: 'csv' },
      400,
      /^output_format must be one of plain_text, .*, got 'csv'$/,
    ],
    [
      'a firewall reading the stream',
      'POST',
      '/v1/integrations',
      { ...fw, name: 'n', output_format: 'remediation_component' },
      400,
      'output_format remediation_component is for a remediation_component_integration, not a firewall_integration',
    ],
    [
      'a remediation component reading text',
      'POST',
      '/v1/integrations',
      { name: 'n', entity_type: 'remediation_component_integration', output_format: 'f5' },
      400,
      "a remediation_component_integration has output_format remediation_component, got 'f5'",
    ],
    ['an unknown key', 'POST', '/v1/integrations', { ...fw, name: 'n', credentials: { api_key: 'x' } }, 400, forbidden('credentials')],
    [
      'pull_limit 0',
      'POST',
      '/v1/integrations',
      { ...fw, name: 'n', pull_limit: 0 },
      400,
      /pull_limit in body should be greater than or equal to 1/,
    ],
    ['pull_limit a string', 'POST', '/v1/integrations', { ...fw, name: 'n', pull_limit: '10' }, 400, /pull_limit/],
    ['an empty tag', 'POST', '/v1/integrations', { ...fw, name: 'n', tags: [''] }, 400, /tags\.0 in body should be at least 1 chars long/],
    ['a name taken', 'POST', '/v1/integrations', { ...fw, name: 'taken' }, 409, "integration 'taken' already exists"],
    [
      'patch an unknown key',
      'PATCH',
      `/v1/integrations/${id}`,
      { entity_type: 'remediation_component_integration' },
      400,
      forbidden('entity_type'),
    ],
    [
      'patch to the stream format',
      'PATCH',
      `/v1/integrations/${id}`,
      { output_format: 'remediation_component' },
      400,
      /not a firewall_integration/,
    ],
    [
      'regenerate not a boolean',
      'PATCH',
      `/v1/integrations/${id}`,
      { regenerate_credentials: 'yes' },
      400,
      /regenerate_credentials in body must be of type boolean/,
    ],
    ['force=maybe', 'DELETE', `/v1/integrations/${id}?force=maybe`, undefined, 400, "force must be true or false, got 'maybe'"],
    ['an unknown integration', 'GET', `/v1/integrations/${none}`, undefined, 404, `integration '${none}' not found`],
    ['patch an unknown integration', 'PATCH', `/v1/integrations/${none}`, { name: 'x' }, 404, `integration '${none}' not found`],
    ['delete an unknown integration', 'DELETE', `/v1/integrations/${none}`, undefined, 404, `integration '${none}' not found`],
    ['page 0', 'GET', '/v1/integrations?page=0', undefined, 400, /page must be an integer/],
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
