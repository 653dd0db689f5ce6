import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../../src/logger.js';

/** The server's logger at debug level, its lines kept as written. */
function capturing() {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logger: createLogger('debug', { destination }), text: () => text };
}

test('createLogger redacts the shapes secrets travel in: request headers, errors carrying headers, credentials in objects', () => {
  const { logger, text } = capturing();
  const headers = {
    'x-api-key': 'secret-key-1',
    authorization: 'Bearer secret.jwt.2',
    'proxy-authorization': 'Basic c2VjcmV0LWJhc2ljLTM=',
    cookie: 'jwt=secret-cookie-4',
    'user-agent': 'crowdsec/v1.7.0',
  };
  logger.debug({ req: { method: 'GET', url: '/v1/decisions', headers } }, 'as pino serialises a request');
  logger.debug({ headers }, 'bare headers');
  logger.error({ err: Object.assign(new Error('upstream refused'), { headers }) }, 'an error that kept its request headers');
  logger.info({ body: { machine_id: 'web01', password: 'secret-password-5' } }, 'a body');
  logger.info({ password: 'secret-password-6', token: 'secret-token-7', login: { token: 'secret-token-8' } }, 'flat');
  const out = text();
  for (const secret of [
    'secret-key-1',
    'secret.jwt.2',
    'c2VjcmV0LWJhc2ljLTM=',
    'secret-cookie-4',
    'secret-password-5',
    'secret-password-6',
  ]) {
    assert.equal(out.includes(secret), false, `${secret} leaked: ${out}`);
  }
  assert.equal(out.includes('secret-token-7') || out.includes('secret-token-8'), false, out);
  type Line = { req: { headers: unknown }; err: { message: string; headers: Record<string, string> }; body: unknown };
  const lines = out
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
  // what is not a secret stays, so the lines still say what happened
  assert.deepEqual(lines[0]!.req.headers, {
    'x-api-key': '[redacted]',
    authorization: '[redacted]',
    'proxy-authorization': '[redacted]',
    cookie: '[redacted]',
    'user-agent': 'crowdsec/v1.7.0',
  });
  assert.equal(lines[2]!.err.message, 'upstream refused');
  assert.equal(lines[2]!.err.headers.authorization, '[redacted]');
  assert.deepEqual(lines[3]!.body, { machine_id: 'web01', password: '[redacted]' });
});

test('createLogger takes upstream level names, and a level set later (a reload) applies at once', () => {
  const { logger, text } = capturing();
  assert.equal(createLogger('warning').level, 'warn');
  assert.equal(createLogger('panic').level, 'fatal');
  logger.level = 'info';
  logger.debug('hidden');
  logger.info('shown');
  assert.deepEqual(
    text()
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { msg: string }).msg),
    ['shown'],
  );
});
