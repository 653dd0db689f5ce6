import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp } from '../helpers/app.js';
import { adminClient, type Json } from '../helpers/admin.js';
import { addAdminKey } from '../helpers/actors.js';

/**
 * Mass assignment on the admin API: a body key the seed 003 shapes do not name is refused with a 400
 * naming it, before anything reaches the store. (PATCH used to spread the body into UPDATE … SET: an
 * unknown key was a column name and a 500, `created_at` was written and broke every later read, `id`
 * moved the primary key.)
 */
test('admin API: unknown body keys are a 400 naming the key, and nothing is stored', async (t) => {
  const ta = await buildTestApp(t);
  const call = adminClient(ta, await addAdminKey(ta));
  const id = (await call('POST', '/v1/allowlists', { name: 'office', description: 'd' })).json().id as string;
  await call('POST', `/v1/allowlists/${id}/items`, { items: ['192.0.2.1'], description: 'x' });
  const itemId = ((await call('GET', `/v1/allowlists/${id}/items`)).json().items as Json[])[0]!.id as string;
  const tables = async () =>
    Promise.all([
      ta.db.selectFrom('allowlists').selectAll().orderBy('id').execute(),
      ta.db.selectFrom('allowlist_items').selectAll().orderBy('id').execute(),
      ta.db.selectFrom('allowlist_subscribers').selectAll().orderBy('entity_id').execute(),
      ta.db.selectFrom('counters').selectAll().where('name', '=', 'allowlists').execute(),
    ]);
  const before = await tables();
  const listBody = (await call('GET', `/v1/allowlists/${id}`)).body;

  const forbidden = (key: string) => `validation failure list:\n${key} in body is a forbidden property`;
  const cases: [string, 'POST' | 'PATCH', string, string, string][] = [
    ['an unknown column', 'PATCH', `/v1/allowlists/${id}`, '{"nope":"x"}', forbidden('nope')],
    ['created_at', 'PATCH', `/v1/allowlists/${id}`, '{"created_at":"x"}', forbidden('created_at')],
    ['created_at null', 'PATCH', `/v1/allowlists/${id}`, '{"name":"b","created_at":null}', forbidden('created_at')],
    ['the primary key', 'PATCH', `/v1/allowlists/${id}`, '{"id":"000000000000000000000000"}', forbidden('id')],
    ['updated_at beside a valid name', 'PATCH', `/v1/allowlists/${id}`, '{"name":"b","updated_at":1}', forbidden('updated_at')],
    ['__proto__', 'PATCH', `/v1/allowlists/${id}`, '{"__proto__":{"name":"b"}}', forbidden('__proto__')],
    ['create with an id', 'POST', '/v1/allowlists', '{"name":"b","id":"000000000000000000000000"}', forbidden('id')],
    [
      'items with allowlist_id',
      'POST',
      `/v1/allowlists/${id}/items`,
      '{"items":["192.0.2.9"],"allowlist_id":"x"}',
      forbidden('allowlist_id'),
    ],
    [
      'item patch with value',
      'PATCH',
      `/v1/allowlists/${id}/items/${itemId}`,
      '{"description":"y","value":"10.0.0.0/8"}',
      forbidden('value'),
    ],
    ['item patch with created_by', 'PATCH', `/v1/allowlists/${id}/items/${itemId}`, '{"created_by":"me"}', forbidden('created_by')],
    [
      'subscribe with created_at',
      'POST',
      `/v1/allowlists/${id}/subscribers`,
      '{"ids":["e"],"entity_type":"engine","created_at":1}',
      forbidden('created_at'),
    ],
  ];
  for (const [what, method, url, payload, message] of cases) {
    const r = await call(method, url, payload);
    assert.equal(r.status, 400, `${what}: ${r.body}`);
    assert.equal(r.body, JSON.stringify({ message }), what);
  }
  assert.deepEqual(await tables(), before);
  const read = await call('GET', `/v1/allowlists/${id}`);
  assert.equal(read.status, 200);
  assert.equal(read.body, listBody);
  assert.equal((await call('GET', '/v1/allowlists/000000000000000000000000')).status, 404);

  // the known keys still work, and only they are written
  const ok = await call('PATCH', `/v1/allowlists/${id}`, '{"name":"renamed","description":"new"}');
  assert.equal(ok.status, 200, ok.body);
  const [lists] = await tables();
  assert.deepEqual(
    lists.map((l) => [l.id, l.name, l.description, Number(l.created_at)]),
    before[0].map((l) => [l.id, 'renamed', 'new', Number(l.created_at)]),
  );
});
