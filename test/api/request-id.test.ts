import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { addBouncer, addMachine, bouncerGet, login } from '../helpers/actors.js';
import { buildTestApp } from '../helpers/app.js';

/** A debug logger whose JSON lines land in `lines`, through the same redaction as the server's. */
function capturing() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(chunk.toString());
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino(
    { level: 'debug', redact: { paths: ['req.headers["x-api-key"]', 'req.headers.authorization'], censor: '[redacted]' } },
    stream,
  );
  return { logger, lines, raw };
}

test('X-Request-Id: honoured and echoed when sane, replaced when not; every request line carries it with the caller, never a secret', async (t) => {
  const log = capturing();
  const ta = await buildTestApp(t, { logger: log.logger });
  const key = await addBouncer(ta, 'fw01', 'key-of-fw01-0123456789');
  await addMachine(ta, 'web-01');
  const token = await login(ta, 'web-01');

  // a bouncer's query with its own id (the fast path leaves it to the route, which echoes it)
  const r = await bouncerGet(ta, key, '/v1/decisions?ip=192.0.2.1', { 'x-request-id': 'edge-7f3a.42' });
  assert.equal(r.statusCode, 200);
  assert.equal(r.headers['x-request-id'], 'edge-7f3a.42');
  const line = log.lines.find((l) => l.msg === 'request' && l.request_id === 'edge-7f3a.42');
  assert.ok(line, JSON.stringify(log.lines));
  assert.deepEqual([line.bouncer, line.status, line.method], ['fw01', 200, 'GET']);

  // none given: no header added to upstream's wire, and the log line still has an id of its own
  const plain = await bouncerGet(ta, key, '/v1/decisions?ip=192.0.2.2');
  assert.equal(plain.headers['x-request-id'], undefined);
  const own = log.lines.filter((l) => l.msg === 'request' && String(l.url).includes('192.0.2.2'));
  assert.equal(own.length, 1);
  assert.match(String(own[0]!.request_id), /^[0-9a-f-]{36}$/);

  // an id that is not a plain token (spaces, too long) is replaced, and the replacement echoed
  for (const bad of ['two words', 'x'.repeat(129), 'a\u00e9b']) {
    const b = await bouncerGet(ta, key, '/v1/decisions?ip=192.0.2.3', { 'x-request-id': bad });
    assert.match(String(b.headers['x-request-id']), /^[0-9a-f-]{36}$/, bad);
  }

  // a machine's request names the machine
  const hb = await ta.app.inject({
    method: 'GET',
    url: '/v1/heartbeat',
    headers: { authorization: `Bearer ${token}`, 'x-request-id': 'hb-1' },
  });
  assert.equal(hb.statusCode, 200);
  const hbLine = log.lines.find((l) => l.msg === 'request' && l.request_id === 'hb-1');
  assert.equal(hbLine?.machine, 'web-01');

  // no key, token or password anywhere in the log
  const all = log.raw.join('');
  for (const secret of [key, token, 's3cr3t-but-long-enough']) assert.equal(all.includes(secret), false, 'a secret in the log');
});
