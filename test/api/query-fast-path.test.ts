import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashApiKey } from '../../src/auth/api-key.js';
import { parseIpOrRange } from '../../src/domain/ip-range.js';
import { createBouncer } from '../../src/store/bouncers.js';
import type { Db } from '../../src/store/db.js';
import { insertDecisions, nextSequence } from '../../src/store/decisions.js';
import { startTestServer } from '../helpers/server.js';

// Bouncer queries answered before Fastify's routing (api/query-fast-path.ts) must be byte for byte what the
// route answers: the first request of a key goes through Fastify (its check is not remembered yet), the next
// ones may take the fast path, so each query is asked twice on one server and both answers compared.

const KEY = 'a-fast-path-key-0123456789';

async function seed(db: Db): Promise<void> {
  await createBouncer(db, { name: 'fw', keyHash: hashApiKey(KEY) });
  const now = Date.now();
  const ban = (value: string, o: { type?: string; scope?: string; hours?: number } = {}) => ({
    alertId: null,
    now,
    decision: {
      type: o.type ?? 'ban',
      scope: o.scope ?? (value.includes('/') ? 'Range' : 'Ip'),
      value,
      origin: 'cscli',
      scenario: 'manual "ban" <from> lapis',
      until: now + (o.hours ?? 4) * 3600_000,
      simulated: false,
      range: o.scope && o.scope !== 'Ip' && o.scope !== 'Range' ? null : parseIpOrRange(value),
    },
  });
  await db.transaction().execute(async (trx) => {
    await insertDecisions(
      trx,
      [ban('192.0.2.7'), ban('192.0.2.0/24', { type: 'captcha', hours: 1 }), ban('2001:db8::1'), ban('bob', { scope: 'Username' })],
      await nextSequence(trx),
    );
  });
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers: { 'x-api-key': KEY, 'user-agent': 'fw/1.0', ...headers } });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (await res.text()).replace(/"duration":"[^"]*"/g, '"duration":"D"'),
  };
}

test('fast path: the same answers as the route, over real HTTP', async (t) => {
  const server = await startTestServer(t, 'prometheus:\n  enabled: true\n  listen_port: 0\n', seed);
  const queries = [
    '/v1/decisions?ip=192.0.2.7',
    '/v1/decisions?ip=192.0.2.200',
    '/v1/decisions?ip=198.51.100.1',
    '/v1/decisions?ip=2001:db8::1',
    '/v1/decisions?scope=username&value=bob',
    '/v1/decisions?range=192.0.2.0/24&contains=false',
    '/v1/decisions?ip=192.0.2.7&type=captcha',
    '/v1/decisions',
    '/v1/decisions?ip=192.0.2.07',
    '/v1/decisions?ip=not-an-ip',
    '/v1/decisions?ip=192.0.2.7&contains=maybe',
    '/v1/decisions?ip=192.0.2.%37',
  ];
  // the first request checks the key against the store (and sets last_pull): the fast path can only follow it
  assert.equal((await get(`${server.url}/v1/decisions?ip=192.0.2.7`)).status, 200);
  for (const q of queries) {
    const first = await get(server.url + q);
    const second = await get(server.url + q);
    assert.deepEqual(second, first, q);
  }
  assert.deepEqual(await get(`${server.url}/v1/decisions?ip=192.0.2.7`), {
    status: 200,
    type: 'application/json; charset=utf-8',
    body: '[{"duration":"D","id":1,"origin":"cscli","scenario":"manual \\"ban\\" \\u003cfrom\\u003e lapis","scope":"Ip","type":"ban","value":"192.0.2.7"},{"duration":"D","id":2,"origin":"cscli","scenario":"manual \\"ban\\" \\u003cfrom\\u003e lapis","scope":"Range","type":"captcha","value":"192.0.2.0/24"}]',
  });
  const bad = await get(`${server.url}/v1/decisions?ip=not-an-ip`);
  assert.equal(bad.status, 400);
  // a wrong key never takes it: 403 as the route answers
  assert.equal((await get(`${server.url}/v1/decisions?ip=192.0.2.7`, { 'x-api-key': 'wrong' })).status, 403);

  // metrics: every query counted once, whichever path answered it
  const metrics = await (await fetch(server.metricsUrl!)).text();
  const count = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(metrics)?.[1] ?? 'NaN');
  // the first and the last checks, the bad one, and each query twice; the wrong key is a route request only
  const asked = 3 + 2 * queries.length;
  assert.equal(count('cs_lapi_route_requests_total\\{route="/v1/decisions",method="GET"\\}'), asked + 1);
  assert.equal(count('cs_lapi_bouncer_requests_total\\{bouncer="fw",route="/v1/decisions",method="GET"\\}'), asked);
  const ok = count('cs_lapi_decisions_ok_total\\{bouncer="fw"\\}');
  const ko = count('cs_lapi_decisions_ko_total\\{bouncer="fw"\\}');
  // the 400s (three queries twice, and the bad one) are counted as requests but answer no decisions
  assert.equal(ok + ko, asked - 2 * 3 - 1);
});
