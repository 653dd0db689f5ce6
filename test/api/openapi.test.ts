import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { RouteRecord } from '../../src/api/openapi/collect.js';
import { openApiPath } from '../../src/api/openapi/generate.js';
import { addBouncer } from '../helpers/actors.js';
import { buildTestApp, tempDir } from '../helpers/app.js';
import { startTestServer } from '../helpers/server.js';
import { runMain } from '../cli/helpers.js';

type Doc = { openapi: string; paths: Record<string, Record<string, { summary: string; 'x-undocumented'?: boolean }>> };

/** The documents the admin listener serves, over real HTTP. */
async function served(t: Parameters<typeof startTestServer>[0]): Promise<{ lapi: string; admin: string; adminUrl: string }> {
  const s = await startTestServer(t);
  assert.ok(s.adminUrl);
  const get = async (q: string) => {
    const r = await fetch(`${s.adminUrl}/openapi.json${q}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
    return r.text();
  };
  return { lapi: await get(''), admin: await get('?api=admin'), adminUrl: s.adminUrl };
}

/** The (method, path) pairs of a document's operations. */
function operations(doc: Doc): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

function registered(table: RouteRecord[]): string[] {
  return table.map((r) => `${r.method} ${openApiPath(r.url)}`).sort();
}

test('/openapi.json on the admin listener: both documents, without a credential; the same bytes as `lapis openapi`, run after run', async (t) => {
  const docs = await served(t);
  const bad = await fetch(`${docs.adminUrl}/openapi.json?api=lapi`);
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), { message: "api: must be 'admin' or absent, got 'lapi'" });
  const [one, two, admin] = await Promise.all([runMain(['openapi']), runMain(['openapi']), runMain(['openapi', '--admin'])]);
  for (const r of [one, two, admin]) assert.equal(r.code, 0, r.stderr);
  assert.equal(one.stdout, two.stdout);
  assert.equal(one.stdout, docs.lapi);
  assert.equal(admin.stdout, docs.admin);
  assert.ok(one.stdout.endsWith('}\n'));
  assert.equal(`${JSON.stringify(JSON.parse(one.stdout), null, 2)}\n`, one.stdout);
  const lapi = JSON.parse(docs.lapi) as Doc & { info: { version: string } };
  assert.equal(lapi.openapi, '3.1.0');
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8')) as { version: string };
  assert.equal(lapi.info.version, pkg.version);
  // the documents' own route is in the admin document, open to all
  const self = (JSON.parse(docs.admin) as Doc).paths['/openapi.json']?.get as unknown as { security: unknown[] };
  assert.deepEqual(self.security, []);
});

for (const kind of ['lapi', 'admin'] as const) {
  test(`${kind}: every registered route is an operation of the served document, every operation a registered route, every route documented`, async (t) => {
    const docs = await served(t);
    const ta = await buildTestApp(t);
    const table = (kind === 'lapi' ? ta.app : ta.admin).routeTable ?? [];
    assert.ok(table.length > 5);
    const doc = JSON.parse(kind === 'lapi' ? docs.lapi : docs.admin) as Doc;
    assert.deepEqual(operations(doc), registered(table));
    // HEAD routes are operations of their own
    if (kind === 'lapi') assert.ok(doc.paths['/v1/decisions']?.head);
    const undocumented = table.filter((r) => !r.doc).map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(undocumented, []);
  });
}

test('both documents pass an independent OpenAPI 3.1 validator (@apidevtools/swagger-parser)', async (t) => {
  const docs = await served(t);
  for (const text of [docs.lapi, docs.admin]) {
    // validate() dereferences in place: it gets its own copy
    const api = (await SwaggerParser.validate(JSON.parse(text))) as { openapi: string };
    assert.equal(api.openapi, '3.1.0');
  }
  // and it does fail a broken one: a response without its required description
  const broken = JSON.parse(docs.lapi) as {
    paths: Record<string, Record<string, { responses: Record<string, { description?: string }> }>>;
  };
  delete broken.paths['/health']!.get!.responses['200']!.description;
  await assert.rejects(() => SwaggerParser.validate(broken as unknown as Parameters<typeof SwaggerParser.validate>[0]), /description/);
});

test('the response check records an undocumented status and a body that does not match its schema, and nothing else', async (t) => {
  // a private findings directory: these violations are the point of this test, not a drift of the suite's run
  const dir = tempDir(t, 'lapis-openapi-check-test-');
  const previous = process.env.LAPIS_OPENAPI_CHECK;
  process.env.LAPIS_OPENAPI_CHECK = dir;
  t.after(() => {
    if (previous === undefined) delete process.env.LAPIS_OPENAPI_CHECK;
    else process.env.LAPIS_OPENAPI_CHECK = previous;
  });
  const doc = {
    summary: 'probe',
    responses: { 200: { description: 'ok', schema: Type.Object({ n: Type.Integer() }, { additionalProperties: false }) } },
  };
  const extra: FastifyPluginAsync = async (app) => {
    app.get('/v1/probe/:what', { config: { doc, auth: 'bouncer' } }, async (req, reply) => {
      const what = (req.params as { what: string }).what;
      if (what === 'good') return { n: 1 };
      if (what === 'bad-body') return { n: 'one' };
      return reply.code(418).send({ message: 'teapot' });
    });
  };
  const ta = await buildTestApp(t, { extraBouncerRoutes: extra });
  const key = await addBouncer(ta, 'fw01', 'key-of-fw01-0123456789');
  const get = (url: string, headers: Record<string, string> = { 'x-api-key': key }) => ta.app.inject({ method: 'GET', url, headers });
  assert.equal((await get('/v1/probe/good')).statusCode, 200);
  assert.equal((await get('/v1/probe/good', {})).statusCode, 403);
  assert.equal((await get('/v1/probe/bad-body')).statusCode, 200);
  assert.equal((await get('/v1/probe/teapot')).statusCode, 418);
  const lines = readFileSync(join(dir, 'violations.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines, [
    { method: 'GET', url: '/v1/probe/:what', status: 200, error: '/n must be integer', body: '{"n":"one"}' },
    {
      method: 'GET',
      url: '/v1/probe/:what',
      status: 418,
      error: 'status 418 is not documented for this operation',
      body: '{"message":"teapot"}',
    },
  ]);
});
