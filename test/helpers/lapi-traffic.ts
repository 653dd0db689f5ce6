import { hashApiKey } from '../../src/auth/api-key.js';
import { createBouncer } from '../../src/store/bouncers.js';
import type { Db } from '../../src/store/db.js';
import { validateMachine } from '../../src/store/machines.js';
import { cscliAlert, UA } from './actors.js';

export const TRAFFIC_BOUNCER_KEY = 'a-bouncer-key-0123456789';

async function send(url: string, init: RequestInit & { expect: number }): Promise<Response> {
  const res = await fetch(url, init);
  if (res.status !== init.expect) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return res;
}

/**
 * What a small CrowdSec setup sends a LAPI, over real HTTP: an agent registers (validated as `cscli machines
 * validate` would), logs in, pushes alerts with decisions, reads alerts, sends its heartbeat and deletes a
 * decision; a bouncer queries a banned and a clean address and pulls its stream (startup, then a delta);
 * and a request reaches no route. Every status is checked, so that the metrics then describe real answers.
 */
export async function driveTraffic(srv: { url: string; db: Db }): Promise<{ token: string }> {
  const { url, db } = srv;
  const json = { 'content-type': 'application/json', 'user-agent': UA };
  const password = 's3cr3t-but-long-enough';
  await send(`${url}/v1/watchers`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ machine_id: 'web-01', password }),
    expect: 201,
  });
  await validateMachine(db, 'web-01');
  const login = await send(`${url}/v1/watchers/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ machine_id: 'web-01', password, scenarios: [] }),
    expect: 200,
  });
  const { token } = (await login.json()) as { token: string };
  const machine = { ...json, authorization: `Bearer ${token}` };
  await createBouncer(db, { name: 'fw', keyHash: hashApiKey(TRAFFIC_BOUNCER_KEY) });
  const bouncer = { 'x-api-key': TRAFFIC_BOUNCER_KEY, 'user-agent': 'crowdsec-firewall-bouncer/v0.0.31' };

  await send(`${url}/v1/alerts`, {
    method: 'POST',
    headers: machine,
    body: JSON.stringify([cscliAlert('192.0.2.1'), cscliAlert('192.0.2.2', { type: 'captcha' })]),
    expect: 201,
  });
  await send(`${url}/v1/alerts?limit=10`, { headers: machine, expect: 200 });
  await send(`${url}/v1/heartbeat`, { headers: machine, expect: 200 });
  await send(`${url}/v1/decisions?ip=192.0.2.1`, { headers: bouncer, expect: 200 });
  await send(`${url}/v1/decisions?ip=198.51.100.7`, { headers: bouncer, expect: 200 });
  await (await send(`${url}/v1/decisions/stream?startup=true`, { headers: bouncer, expect: 200 })).text();
  await send(`${url}/v1/decisions?ip=192.0.2.2`, { method: 'DELETE', headers: machine, expect: 200 });
  await (await send(`${url}/v1/decisions/stream`, { headers: bouncer, expect: 200 })).text();
  await send(`${url}/v1/no-such-route`, { expect: 404 });
  return { token };
}
