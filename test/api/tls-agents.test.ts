import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPassword, hashPassword } from '../../src/auth/password.js';
import { createMachine, getMachine, listMachines } from '../../src/store/machines.js';
import { cscliAlert } from '../helpers/actors.js';
import { hasOpenssl } from '../helpers/pki.js';
import { filePki, https, startTlsServer, type HttpsCall } from '../helpers/tls.js';

const skip = !hasOpenssl && 'no openssl';
const pki = hasOpenssl ? filePki() : (undefined as never);
const UA = 'crowdsec/v1.7.8-linux';

const login = (url: string, cert: string | undefined, body = '{}', extra: HttpsCall = {}) =>
  https(pki, `${url}/v1/watchers/login`, {
    method: 'POST',
    ...(cert ? { cert } : {}),
    body,
    ...extra,
    headers: { 'user-agent': UA, 'content-type': 'application/json', ...(extra.headers ?? {}) },
  });

const jwtError = (message: string) => JSON.stringify({ code: 401, message });

test('an agent logs in with its certificate alone: the machine CN@ip is created validated, tls, then pushes alerts', {
  skip,
}, async (t) => {
  const srv = await startTlsServer(t, pki);
  const res = await login(srv.url, 'agent', '{"scenarios":["crowdsecurity/ssh-bf","crowdsecurity/http-probing"]}');
  assert.equal(res.status, 200, res.body);
  assert.match(res.body, /^\{"code":200,"expire":"[^"]+","token":"[^"]+"\}$/);
  const m = await getMachine(srv.db, 'web01@127.0.0.1');
  assert.ok(m);
  assert.deepEqual(
    { validated: m.isValidated, authType: m.authType, ip: m.ipAddress, version: m.version, scenarios: m.scenarios },
    {
      validated: true,
      authType: 'tls',
      ip: '127.0.0.1',
      version: 'v1.7.8-linux',
      scenarios: ['crowdsecurity/ssh-bf', 'crowdsecurity/http-probing'],
    },
  );
  // nobody knows its password: a password login with a guess is refused by auth type
  const asPassword = await login(srv.url, undefined, '{"machine_id":"web01@127.0.0.1","password":"guess"}');
  assert.deepEqual(
    [asPassword.status, asPassword.body],
    [401, jwtError('machine web01@127.0.0.1 attempted to auth with password but it is configured to use tls')],
  );

  const { token } = JSON.parse(res.body) as { token: string };
  const push = await https(pki, `${srv.url}/v1/alerts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify([cscliAlert('192.0.2.9')]),
  });
  assert.deepEqual([push.status, push.body], [201, '["1"]']);

  // again (the verification comes from the cache), with the password body ignored
  const again = await login(srv.url, 'agent', '{"machine_id":"someone-else","password":"x"}');
  assert.equal(again.status, 200, again.body);
  assert.deepEqual(
    (await listMachines(srv.db)).map((x) => [x.machineId, x.isValidated, x.ipAddress, x.authType]),
    [['web01@127.0.0.1', true, '127.0.0.1', 'tls']],
  );
  // the scenarios stay when a login sends none
  assert.deepEqual((await getMachine(srv.db, 'web01@127.0.0.1'))?.scenarios, ['crowdsecurity/ssh-bf', 'crowdsecurity/http-probing']);
});

test('refused agent certificates: 401 with upstream reasons, and no machine is created', { skip }, async (t) => {
  const srv = await startTlsServer(t, pki);
  const cases: [string, string][] = [
    ['wrong_ou', "client certificate OU [other-ou] doesn't match expected OU [agent-ou]"],
    ['bouncer', "client certificate OU [bouncer-ou] doesn't match expected OU [agent-ou]"],
    ['expired', 'client certificate is expired'],
    ['future', 'client certificate is not yet valid'],
    ['rogue_leaf', 'no verified cert in request'],
    ['agent_rev', 'certificate revoked by CRL'],
    ['agent_rev', '(cache) certificate revoked by CRL'],
  ];
  for (const [cert, message] of cases) {
    const res = await login(srv.url, cert);
    assert.deepEqual([res.status, res.body], [401, jwtError(message)], cert);
    assert.equal(res.headers['www-authenticate'], 'JWT realm=Crowdsec API local');
  }
  assert.deepEqual(await listMachines(srv.db), []);
});

test('certificate login: a password machine of that name, bodies, User-Agent', { skip }, async (t) => {
  const srv = await startTlsServer(t, pki);
  await createMachine(srv.db, { machineId: 'web01@127.0.0.1', passwordHash: await hashPassword('pw'), isValidated: true });
  const taken = await login(srv.url, 'agent');
  assert.deepEqual(
    [taken.status, taken.body],
    [401, jwtError('machine web01@127.0.0.1 attempted to auth with TLS cert but it is configured to use password')],
  );
  assert.ok(await checkPassword('pw', (await getMachine(srv.db, 'web01@127.0.0.1'))!.passwordHash));

  // the certificate is checked before the body (an empty or broken body does not hide its reason)
  assert.equal((await login(srv.url, 'future', '')).body, jwtError('client certificate is not yet valid'));
  assert.equal((await login(srv.url, 'agent_rev', 'not json')).body, jwtError('certificate revoked by CRL'));

  // the body must be JSON even though only `scenarios` is read; the machine is created before it is read
  const other = await startTlsServer(t, pki);
  const empty = await login(other.url, 'agent', '');
  assert.deepEqual([empty.status, empty.body], [401, jwtError('missing scenarios list in login request for TLS auth: EOF')]);
  assert.equal((await getMachine(other.db, 'web01@127.0.0.1'))?.authType, 'tls');
  const notJson = await login(other.url, 'agent', '{"scenarios":');
  assert.equal(notJson.status, 401);
  assert.match(notJson.body, /^\{"code":401,"message":"missing scenarios list in login request for TLS auth: invalid JSON body: [^"]+"\}$/);
  const wrongType = await login(other.url, 'agent', '{"scenarios":"ssh-bf"}');
  assert.equal(wrongType.body, jwtError('missing scenarios list in login request for TLS auth: scenarios in body must be of type array'));
  assert.equal((await login(other.url, 'agent', 'null')).status, 200);
  assert.equal((await login(other.url, 'agent', '{"Scenarios":["a/b"]}')).status, 200);
  assert.deepEqual((await getMachine(other.db, 'web01@127.0.0.1'))?.scenarios, ['a/b']);
  // upstream's rule: a User-Agent that does not split in two on '/' fails the login
  const badUa = await login(other.url, 'agent', '{}', { headers: { 'user-agent': 'curl' } });
  assert.deepEqual([badUa.status, badUa.body], [401, jwtError('incorrect Username or Password')]);
});
