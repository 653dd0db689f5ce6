import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from '@sinclair/typebox';
import type { RouteRecord } from '../../src/api/openapi/collect.js';
import { openApiDocument } from '../../src/api/openapi/generate.js';
import { documentText } from '../../src/api/openapi/json-schema.js';

type Op = {
  parameters?: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
  requestBody?: { required: boolean; content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Record<string, unknown> }>; headers?: object }>;
  security: Record<string, string[]>[];
};
type Doc = { paths: Record<string, Record<string, Op>>; components: { securitySchemes: Record<string, { type: string }> } };

const Thing = Type.Object({ id: Type.Integer(), note: Type.Optional(Type.String()) });
const routes: RouteRecord[] = [
  {
    method: 'GET',
    url: '/v1/things',
    auth: 'machine',
    doc: {
      summary: 'list',
      query: Type.Object({ q: Type.Optional(Type.String()) }),
      responses: { 200: { description: 'the things', schema: Type.Array(Thing) } },
    },
  },
  {
    method: 'GET',
    url: '/v1/things/:thing_id',
    auth: 'bouncer',
    doc: { summary: 'one', responses: { 200: { description: 'it', schema: Thing } } },
  },
  { method: 'HEAD', url: '/v1/things/:thing_id', auth: 'bouncer', doc: { summary: 'one', responses: { 200: { description: 'it' } } } },
  {
    method: 'POST',
    url: '/v1/things/:thing_id/notes',
    auth: 'none',
    doc: { summary: 'add', body: { schema: Thing }, sharedExcept: [400], responses: { 201: { description: 'added' } } },
  },
];
const doc = () => openApiDocument('lapi', routes, '9.9.9') as unknown as Doc;

test('paths, path and query parameters, request bodies: from the route table and the TypeBox schemas, as plain JSON Schema', () => {
  const d = doc();
  assert.deepEqual(Object.keys(d.paths), ['/v1/things', '/v1/things/{thing_id}', '/v1/things/{thing_id}/notes']);
  assert.deepEqual(Object.keys(d.paths['/v1/things/{thing_id}']!), ['get', 'head']);
  assert.deepEqual(d.paths['/v1/things']!.get!.parameters, [{ in: 'query', name: 'q', required: false, schema: { type: 'string' } }]);
  assert.deepEqual(d.paths['/v1/things/{thing_id}/notes']!.post!.parameters, [
    { in: 'path', name: 'thing_id', required: true, schema: { type: 'string' } },
  ]);
  // TypeBox's symbol markers are gone: only JSON Schema keywords remain
  assert.deepEqual(d.paths['/v1/things/{thing_id}/notes']!.post!.requestBody, {
    content: {
      'application/json': {
        schema: { properties: { id: { type: 'integer' }, note: { type: 'string' } }, required: ['id'], type: 'object' },
      },
    },
    required: true,
  });
});

test("each group's credential and refusals, and the statuses every route may send, are added to the route's own", () => {
  const d = doc();
  const list = d.paths['/v1/things']!.get!;
  assert.deepEqual(list.security, [{ jwt: [] }, { jwtCookie: [] }]);
  assert.deepEqual(Object.keys(list.responses), ['200', '400', '401', '500', '503']);
  assert.deepEqual(list.responses['401']!.content!['application/json']!.schema, {
    additionalProperties: false,
    description: 'A JWT refusal, as upstream sends it: the status again in `code`, and why.',
    properties: { code: { type: 'integer' }, message: { type: 'string' } },
    required: ['code', 'message'],
    type: 'object',
  });
  assert.ok(list.responses['401']!.headers);
  // a machine's 400 may be the JWT shape (a bad `exp` claim) or the error handler's
  assert.equal((list.responses['400']!.content!['application/json']!.schema.anyOf as unknown[]).length, 2);
  const one = d.paths['/v1/things/{thing_id}']!.get!;
  assert.deepEqual(one.security, [{ bouncerKey: [] }, { bouncerCertificate: [] }]);
  // `/v1/things/` reaches this route with an empty id: gin's redirect to `/v1/things`, which takes GET
  assert.deepEqual(Object.keys(one.responses), ['200', '301', '400', '403', '500', '503']);
  // no HEAD /v1/things: a 404 with an empty body
  assert.deepEqual(Object.keys(d.paths['/v1/things/{thing_id}']!.head!.responses), ['200', '400', '403', '404', '500', '503']);
  assert.equal(d.paths['/v1/things/{thing_id}']!.head!.responses['404']!.content, undefined);
  const post = d.paths['/v1/things/{thing_id}/notes']!.post!;
  assert.deepEqual(post.security, []);
  // a body may be too large; this route's own error handler sends no 400
  assert.deepEqual(Object.keys(post.responses), ['201', '413', '500', '503']);
  assert.deepEqual(Object.keys(d.components.securitySchemes), ['bouncerCertificate', 'bouncerKey', 'jwt', 'jwtCookie']);
  assert.equal(d.components.securitySchemes.bouncerCertificate!.type, 'mutualTLS');
});

test('the same routes give the same bytes, whatever order their keys were written in; keys sorted, version as given', () => {
  const reordered: RouteRecord[] = routes.map((r) => ({ doc: r.doc, auth: r.auth, url: r.url, method: r.method }));
  const text = documentText(openApiDocument('lapi', routes, '9.9.9'));
  assert.equal(documentText(openApiDocument('lapi', [...reordered].reverse(), '9.9.9')), text);
  const parsed = JSON.parse(text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed), ['components', 'info', 'openapi', 'paths']);
  assert.equal((parsed.info as { version: string }).version, '9.9.9');
  assert.doesNotMatch(text, /20\d\d-\d\d-\d\dT/);
});

test('a route registered without a doc is marked, never silently described', () => {
  const d = openApiDocument('admin', [{ method: 'GET', url: '/x', auth: 'admin', doc: undefined }], '1') as unknown as {
    paths: Record<string, Record<string, Record<string, unknown>>>;
  };
  assert.equal(d.paths['/x']!.get!['x-undocumented'], true);
  assert.deepEqual(Object.keys(d.paths['/x']!.get!.responses as object), ['400', '403', '500', '503']);
});
