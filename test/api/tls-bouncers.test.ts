import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashApiKey } from '../../src/auth/api-key.js';
import { hashPassword } from '../../src/auth/password.js';
import { createBouncer, getBouncer, listBouncers } from '../../src/store/bouncers.js';
import { createMachine } from '../../src/store/machines.js';
import { createAdminKey } from '../../src/store/admin-keys.js';
import { hasOpenssl } from '../helpers/pki.js';
import { filePki, https, startTlsServer } from '../helpers/tls.js';

const skip = !hasOpenssl && 'no openssl';
const pki = hasOpenssl ? filePki() : (undefined as never);
const FORBIDDEN = '{"message":"access forbidden"}';
const EMPTY_STREAM = '{"new": null, "deleted": null}';

test('a bouncer certificate: 200, the bouncer CN@ip is created (tls, auto-created) with its User-Agent', { skip }, async (t) => {
  const srv = await startTlsServer(t, pki);
  assert.match(srv.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const stream = await https(pki, `${srv.url}/v1/decisions/stream?startup=true`, { cert: 'bouncer' });
  assert.equal(stream.status, 200);
  assert.equal(stream.body, EMPTY_STREAM);
  const b = await getBouncer(srv.db, 'fw01@127.0.0.1');
  assert.ok(b);
  assert.deepEqual(
    { authType: b.authType, autoCreated: b.autoCreated, ipAddress: b.ipAddress, type: b.type, version: b.version, revoked: b.revoked },
    { authType: 'tls', autoCreated: true, ipAddress: '127.0.0.1', type: 'crowdsec-firewall-bouncer', version: 'v0.0.31', revoked: false },
  );
  assert.match(b.keyHash, /^[0-9a-f]{128}$/);
  assert.notEqual(b.lastPull, null);

  const live = await https(pki, `${srv.url}/v1/decisions?ip=192.0.2.1`, {
    cert: 'bouncer',
    headers: { 'user-agent': 'cs-nginx-bouncer/v1.1.0' },
  });
  assert.deepEqual([live.status, live.body], [200, 'null']);
  assert.equal(live.headers['content-type'], 'application/json; charset=utf-8');
  // a HEAD request authenticates without bookkeeping
  const head = await https(pki, `${srv.url}/v1/decisions?ip=192.0.2.1`, {
    cert: 'bouncer',
    method: 'HEAD',
    headers: { 'user-agent': 'appsec/v9' },
  });
  assert.deepEqual([head.status, head.body], [200, '']);
  const all = await listBouncers(srv.db);
  assert.deepEqual(
    all.map((x) => [x.name, x.type, x.version]),
    [['fw01@127.0.0.1', 'cs-nginx-bouncer', 'v1.1.0']],
  );

  // a certificate with several OUs passes when one of them is allowed
  assert.equal((await https(pki, `${srv.url}/v1/decisions/stream?startup=true`, { cert: 'multi_ou' })).status, 200);
  assert.deepEqual(
    (await listBouncers(srv.db)).map((x) => x.name),
    ['fw01@127.0.0.1', 'multi@127.0.0.1'],
  );
});

test('refused certificates: 403 access forbidden, and no bouncer is created', { skip }, async (t) => {
  const srv = await startTlsServer(t, pki);
  const cases: [string, string][] = [
    ['wrong_ou', 'OU other-ou is not a bouncer OU'],
    ['agent', 'an agent certificate on a bouncer route'],
    ['expired', 'expired'],
    ['future', 'not yet valid'],
    ['rogue_leaf', 'signed by an unknown CA'],
    ['bouncer_rev', 'revoked by the CRL'],
    ['bouncer_rev', 'revoked by the CRL (from the cache)'],
    ['leaf_inter_rev', 'its intermediate revoked by the root CRL'],
  ];
  for (const [cert, why] of cases) {
    const res = await https(pki, `${srv.url}/v1/decisions/stream?startup=true`, { cert });
    assert.deepEqual([res.status, res.body], [403, FORBIDDEN], `${cert}: ${why}`);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
  }
  // the bouncer was never created
  assert.deepEqual(await listBouncers(srv.db), []);
  // and no certificate, no key: the API-key path refuses as usual
  const none = await https(pki, `${srv.url}/v1/decisions`);
  assert.deepEqual([none.status, none.body], [403, FORBIDDEN]);
});

test('a forged intermediate sent by the client does not stand in for the real one: the revocation still counts', { skip }, async (t) => {
  // the server trusts the real intermediate; the client sends a look-alike after its revoked certificate
  const srv = await startTlsServer(t, pki, [], { ca_cert_path: pki.path('bundle.pem') });
  const res = await https(pki, `${srv.url}/v1/decisions`, { cert: 'bouncer_rev_forged' });
  assert.deepEqual([res.status, res.body], [403, FORBIDDEN]);
  assert.equal((await https(pki, `${srv.url}/v1/decisions`, { cert: 'bouncer' })).status, 200);
  assert.deepEqual(
    (await listBouncers(srv.db)).map((b) => b.name),
    ['fw01@127.0.0.1'],
  );
});

test('a client certificate overrides X-Api-Key; the name of an API-key bouncer cannot be taken', { skip }, async (t) => {
  const srv = await startTlsServer(t, pki);
  await createBouncer(srv.db, { name: 'fw-key', keyHash: hashApiKey('a-valid-api-key-for-fw') });
  const key = { 'x-api-key': 'a-valid-api-key-for-fw' };
  const byKey = await https(pki, `${srv.url}/v1/decisions/stream?startup=true`, { headers: key });
  assert.deepEqual([byKey.status, byKey.body], [200, EMPTY_STREAM]);
  // an unverifiable certificate makes a valid key useless, as upstream
  const bad = await https(pki, `${srv.url}/v1/decisions/stream?startup=true`, { headers: key, cert: 'wrong_ou' });
  assert.deepEqual([bad.status, bad.body], [403, FORBIDDEN]);
  // a good certificate authenticates as itself, not as the key's bouncer
  const good = await https(pki, `${srv.url}/v1/decisions/stream?startup=true`, { headers: key, cert: 'bouncer' });
  assert.equal(good.status, 200);
  assert.equal((await getBouncer(srv.db, 'fw01@127.0.0.1'))?.authType, 'tls');

  await createBouncer(srv.db, { name: 'multi@127.0.0.1', keyHash: hashApiKey('another-key') });
  const taken = await https(pki, `${srv.url}/v1/decisions`, { cert: 'multi_ou' });
  assert.deepEqual([taken.status, taken.body], [403, FORBIDDEN]);
  assert.equal((await getBouncer(srv.db, 'multi@127.0.0.1'))?.authType, 'api-key');
});

test('the HTTPS listener still takes machine logins and JWTs; /health answers', { skip }, async (t) => {
  const srv = await startTlsServer(t, pki);
  await createMachine(srv.db, { machineId: 'web-01', passwordHash: await hashPassword('s3cr3t-but-long-enough'), isValidated: true });
  const login = await https(pki, `${srv.url}/v1/watchers/login`, {
    method: 'POST',
    headers: { 'user-agent': 'crowdsec/v1.7.8-linux', 'content-type': 'application/json' },
    body: '{"machine_id":"web-01","password":"s3cr3t-but-long-enough"}',
  });
  assert.equal(login.status, 200, login.body);
  const { token } = JSON.parse(login.body) as { token: string };
  const alerts = await https(pki, `${srv.url}/v1/alerts`, { headers: { authorization: `Bearer ${token}` } });
  assert.deepEqual([alerts.status, alerts.body], [200, 'null']);
  const health = await https(pki, `${srv.url}/health`);
  assert.deepEqual([health.status, health.body], [200, '{"status":"up"}']);
  // a JWT route does not look at the certificate: a refused one does not get in the way
  const withCert = await https(pki, `${srv.url}/v1/alerts`, { cert: 'wrong_ou', headers: { authorization: `Bearer ${token}` } });
  assert.equal(withCert.status, 200);
});

test('the admin API is served over HTTPS with the same certificate, its keys never in clear', { skip }, async (t) => {
  const srv = await startTlsServer(t, pki);
  assert.match(srv.adminUrl ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
  await createAdminKey(srv.db, 'ops', hashApiKey('an-admin-key-over-tls-0123456789'));
  const ok = await https(pki, `${srv.adminUrl}/v1/allowlists`, { headers: { 'x-api-key': 'an-admin-key-over-tls-0123456789' } });
  assert.equal(ok.status, 200, ok.body);
  assert.equal(JSON.parse(ok.body).total, 0);
  // a bouncer certificate is no admin credential
  assert.equal((await https(pki, `${srv.adminUrl}/v1/allowlists`, { cert: 'bouncer' })).status, 403);
});
