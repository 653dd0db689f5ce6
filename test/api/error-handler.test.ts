import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { installErrorHandler, JWT_REALM } from '../../src/api/errors.js';
import {
  BadRequestError,
  UserExistsError,
  ForbiddenError,
  JwtAuthError,
  NotFoundError,
  PayloadTooLargeError,
  ConflictError,
  TooManyRequestsError,
  UnauthorizedError,
  ValidationError,
} from '../../src/errors.js';

// One row per error class: what the one error handler answers for it (status, exact body, the headers that matter).
const rows: [string, () => Error, number, string, Record<string, string>?][] = [
  ['BadRequestError', () => new BadRequestError('limit: invalid integer'), 400, '{"message":"limit: invalid integer"}'],
  ['ValidationError', () => new ValidationError('scenario in body is required'), 422, '{"message":"scenario in body is required"}'],
  ['NotFoundError', () => new NotFoundError('decision not found'), 404, '{"message":"decision not found"}'],
  [
    'UserExistsError (upstream’s 403 "user exists")',
    () => new UserExistsError('user already exist'),
    403,
    '{"message":"user already exist"}',
  ],
  ['UnauthorizedError', () => new UnauthorizedError('this machine is not allowed'), 401, '{"message":"this machine is not allowed"}'],
  ['ForbiddenError', () => new ForbiddenError('access forbidden'), 403, '{"message":"access forbidden"}'],
  ['PayloadTooLargeError', () => new PayloadTooLargeError(), 413, '{"message":"http: request body too large"}'],
  ['ConflictError', () => new ConflictError('allowlist has subscribers'), 409, '{"message":"allowlist has subscribers"}'],
  [
    'JwtAuthError: upstream’s JWT shape and realm',
    () => new JwtAuthError('token is expired'),
    401,
    '{"code":401,"message":"token is expired"}',
    { 'www-authenticate': JWT_REALM },
  ],
  ['JwtAuthError with a 400', () => new JwtAuthError('missing machine_id', 400), 400, '{"code":400,"message":"missing machine_id"}'],
  [
    'TooManyRequestsError: Retry-After',
    () => new TooManyRequestsError('too many failed logins', 7),
    429,
    '{"message":"too many failed logins"}',
    { 'retry-after': '7' },
  ],
  [
    'anything else: a 500 that leaks nothing',
    () => new Error('SQLITE_CONSTRAINT: UNIQUE constraint failed: machines.machine_id at insert (store/machines.ts:42)'),
    500,
    '{"message":"internal server error"}',
  ],
];

test('the error handler: one row per error class', async (t) => {
  const app = Fastify({ logger: false });
  installErrorHandler(app);
  for (const [i, [, make]] of rows.entries()) app.get(`/${i}`, async () => Promise.reject(make()));
  t.after(() => app.close());
  for (const [i, [what, , status, body, headers = {}]] of rows.entries()) {
    const res = await app.inject({ method: 'GET', url: `/${i}` });
    assert.equal(res.statusCode, status, what);
    assert.equal(res.body, body, what);
    for (const [name, value] of Object.entries(headers)) assert.equal(res.headers[name], value, `${what}: ${name}`);
  }
});

test('the error handler: Fastify’s own 4xx keep their status; a schema failure is a 400', async (t) => {
  const app = Fastify({ logger: false });
  installErrorHandler(app);
  app.post('/json', async () => 'ok');
  app.get('/schema', { schema: { querystring: { type: 'object', properties: { n: { type: 'integer' } } } } }, async () => 'ok');
  t.after(() => app.close());
  const bad = await app.inject({ method: 'POST', url: '/json', headers: { 'content-type': 'application/json' }, payload: '{' });
  assert.equal(bad.statusCode, 400);
  assert.match(JSON.parse(bad.body).message, /JSON/);
  const schema = await app.inject({ method: 'GET', url: '/schema?n=x' });
  assert.deepEqual([schema.statusCode, schema.body], [400, '{"message":"querystring/n must be integer"}']);
});
