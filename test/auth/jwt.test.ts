import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JwtService, TOKEN_TTL_S } from '../../src/auth/jwt.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a verified token is answered from memory only while it is valid, and only for the very same bytes', async () => {
  const jwt = new JwtService(new Uint8Array(64).fill(3));
  const nowS = Math.floor(Date.now() / 1000);
  // expires in one second
  const { token, exp } = await jwt.issue('web-01', nowS - TOKEN_TTL_S + 1);
  assert.equal((await jwt.verify(token)).id, 'web-01');
  assert.equal((await jwt.verify(token)).id, 'web-01');

  // another signature on the same claims is checked, not taken for the verified one
  const [h, p, sig] = token.split('.') as [string, string, string];
  const forged = `${h}.${p}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`;
  await assert.rejects(jwt.verify(forged), /signature is invalid/);

  await sleep(Math.max(0, exp * 1000 - Date.now()) + 50);
  await assert.rejects(jwt.verify(token), /Token is expired/);
});
