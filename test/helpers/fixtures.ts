import { gzipSync } from 'node:zlib';
import { hashPassword } from '../../src/auth/password.js';
import { createMachine } from '../../src/store/machines.js';
import { hashApiKey } from '../../src/auth/api-key.js';
import { createBouncer } from '../../src/store/bouncers.js';
import type { TestApp } from './app.js';

export const UA = 'crowdsec/v1.7.8-linux';

/** A validated machine with a password. */
export async function addMachine(t: TestApp, machineId = 'web-01', password = 's3cr3t-but-long-enough', validated = true) {
  await createMachine(t.db, { machineId, passwordHash: await hashPassword(password), isValidated: validated });
  return { machineId, password };
}

export async function addBouncer(t: TestApp, name = 'fw', key = 'a-bouncer-key-0123456789') {
  await createBouncer(t.db, { name, keyHash: hashApiKey(key) });
  return key;
}

/** Logs in and returns the bearer token. */
export async function login(t: TestApp, machineId = 'web-01', password = 's3cr3t-but-long-enough'): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/watchers/login',
    headers: { 'user-agent': UA },
    payload: { machine_id: machineId, password },
  });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { token: string }).token;
}

export function gzipJson(v: unknown): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(v)));
}
