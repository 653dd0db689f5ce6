import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { hashApiKey } from '../../src/auth/api-key.js';
import { loadConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server.js';
import { createBouncer, listBouncers } from '../../src/store/bouncers.js';
import { listMachines } from '../../src/store/machines.js';
import { tempDir, testDbConfig } from '../helpers/app.js';
import { hasOpenssl } from '../helpers/pki.js';
import { filePki, https, startTlsServer, tlsYaml, type HttpsCall } from '../helpers/tls.js';

const skip = !hasOpenssl && 'no openssl';
const pki = hasOpenssl ? filePki() : (undefined as never);
const FORBIDDEN = '{"message":"access forbidden"}';
const KEY = 'a-valid-api-key-for-fw';
const jwtError = (message: string) => JSON.stringify({ code: 401, message });
const mode = (m: string) => [`client_verification: ${m}`];
const sb = (r: { status: number; body: string }) => [r.status, r.body];

const stream = (url: string, call: HttpsCall = {}) => https(pki, `${url}/v1/decisions/stream?startup=true`, call);
const login = (url: string, cert?: string, body = '{}') =>
  https(pki, `${url}/v1/watchers/login`, { method: 'POST', body, ...(cert ? { cert } : {}), headers: { 'user-agent': 'crowdsec/v1.7.8' } });

test('NoClientCert: no certificate is asked for, so API keys and passwords decide', { skip }, async (t) => {
  const srv = await startTlsServer(t, pki, mode('NoClientCert'));
  await createBouncer(srv.db, { name: 'fw', keyHash: hashApiKey(KEY) });
  assert.equal((await stream(srv.url, { cert: 'bouncer', headers: { 'x-api-key': KEY } })).status, 200);
  assert.deepEqual(sb(await stream(srv.url, { cert: 'bouncer' })), [403, FORBIDDEN]);
  const res = await login(srv.url, 'agent', '{"machine_id":"m","password":"p"}');
  assert.deepEqual([res.status, res.body], [401, jwtError('ent: machine not found')]);
  assert.deepEqual(await listMachines(srv.db), []);
});

test('RequestClientCert and RequireAnyClientCert verify nothing: a certificate is refused; the latter needs one', { skip }, async (t) => {
  for (const m of ['RequestClientCert', 'RequireAnyClientCert']) {
    const srv = await startTlsServer(t, pki, mode(m));
    await createBouncer(srv.db, { name: 'fw', keyHash: hashApiKey(KEY) });
    const withCert = await stream(srv.url, { cert: 'bouncer', headers: { 'x-api-key': KEY } });
    assert.deepEqual([withCert.status, withCert.body], [403, FORBIDDEN], m);
    const res = await login(srv.url, 'agent');
    assert.deepEqual([res.status, res.body], [401, jwtError('no verified cert in request')], m);
    if (m === 'RequestClientCert') assert.equal((await stream(srv.url, { headers: { 'x-api-key': KEY } })).status, 200);
    else await assert.rejects(stream(srv.url, { headers: { 'x-api-key': KEY } }), /socket hang up|ECONNRESET/);
  }
});

test('RequireAndVerifyClientCert: the handshake refuses no certificate and unverifiable ones', { skip }, async (t) => {
  const srv = await startTlsServer(t, pki, mode('RequireAndVerifyClientCert'));
  await createBouncer(srv.db, { name: 'fw', keyHash: hashApiKey(KEY) });
  for (const cert of [undefined, 'rogue_leaf', 'expired', 'future']) {
    await assert.rejects(
      stream(srv.url, { ...(cert ? { cert } : {}), headers: { 'x-api-key': KEY } }),
      /certificate|alert|socket hang up|ECONNRESET/,
      String(cert),
    );
  }
  assert.deepEqual([(await stream(srv.url, { cert: 'bouncer' })).status, (await login(srv.url, 'agent')).status], [200, 200]);
  const revoked = await login(srv.url, 'agent_rev');
  assert.deepEqual([revoked.status, revoked.body], [401, jwtError('certificate revoked by CRL')]);
});

test('an intermediate alone in ca_cert_path is a trust anchor, as in Go; its CRL still applies', { skip }, async (t) => {
  const srv = await startTlsServer(t, pki, [], { ca_cert_path: pki.path('inter.pem') });
  assert.equal((await stream(srv.url, { cert: 'bouncer' })).status, 200);
  assert.equal((await login(srv.url, 'agent_rev')).body, jwtError('certificate revoked by CRL'));
  // the root is not trusted here: its own leaves are refused
  assert.deepEqual(sb(await stream(srv.url, { cert: 'by_root' })), [403, FORBIDDEN]);
  assert.deepEqual(
    (await listBouncers(srv.db)).map((b) => b.name),
    ['fw01@127.0.0.1'],
  );
});

test('allowed OUs: custom lists, an empty list refuses everyone; cache_expiration 0s caches nothing', { skip }, async (t) => {
  const srv = await startTlsServer(t, pki, [
    'agents_allowed_ou: [other-ou, agent-ou, other-ou]',
    'bouncers_allowed_ou: []',
    'cache_expiration: 0s',
  ]);
  assert.equal((await login(srv.url, 'wrong_ou')).status, 200);
  assert.deepEqual(
    (await listMachines(srv.db)).map((m) => m.machineId),
    ['stranger@127.0.0.1'],
  );
  const res = await login(srv.url, 'bouncer');
  assert.equal(res.body, jwtError("client certificate OU [bouncer-ou] doesn't match expected OU [other-ou agent-ou]"));
  assert.deepEqual(sb(await stream(srv.url, { cert: 'bouncer' })), [403, FORBIDDEN]);
  for (let i = 0; i < 2; i++) assert.equal((await login(srv.url, 'agent_rev')).body, jwtError('certificate revoked by CRL'));
});

test('startup errors: missing key or cert file, unreadable CA, CRL or certificate files', { skip }, async (t) => {
  const dir = tempDir(t);
  const start = (base: Record<string, string>) => {
    const config = testDbConfig(tempDir(t), `api:\n  server:\n    listen_uri: 127.0.0.1:0\n${tlsYaml(pki, [], base)}`);
    return startServer(config, pino({ level: 'silent' })).then((s) => s.close());
  };
  await assert.rejects(start({ key_file: '' }), { message: 'missing TLS key file' });
  await assert.rejects(start({ cert_file: '' }), { message: 'missing TLS cert file' });
  await assert.rejects(start({ ca_cert_path: join(dir, 'nope.pem') }), {
    message: `api.server.tls.ca_cert_path: while opening cert file: open ${join(dir, 'nope.pem')}: no such file or directory`,
  });
  writeFileSync(join(dir, 'empty.pem'), 'nothing here\n');
  await assert.rejects(start({ ca_cert_path: join(dir, 'empty.pem') }), {
    message: `api.server.tls.ca_cert_path: no PEM certificate in ${join(dir, 'empty.pem')}`,
  });
  await assert.rejects(start({ crl_path: join(dir, 'nope.crl') }), {
    message: `could not access CRL file: stat ${join(dir, 'nope.crl')}: no such file or directory`,
  });
  writeFileSync(join(dir, 'bad.crl'), '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n');
  await assert.rejects(start({ crl_path: join(dir, 'bad.crl') }), { message: 'could not parse file: expected a certificate list' });
  await assert.rejects(start({ cert_file: join(dir, 'nope.pem') }), {
    message: `api.server.tls.cert_file: while opening cert file: open ${join(dir, 'nope.pem')}: no such file or directory`,
  });
  // an empty CRL file is fine (upstream's tests start from one)
  writeFileSync(join(dir, 'empty.crl'), '');
  await start({ crl_path: join(dir, 'empty.crl') });
});

test('config: upstream keys, defaults, and the values refused at load', (t) => {
  const dir = tempDir(t);
  const load = (tls: string) => {
    writeFileSync(join(dir, 'c.yaml'), `api:\n  server:\n    tls:\n${tls}`);
    return loadConfig({ path: join(dir, 'c.yaml'), env: { LAPIS_DATA_DIR: dir } });
  };
  const c = load('      cert_file: a.pem\n      key_file: a-key.pem\n      server_name: lapi.example\n');
  assert.deepEqual(c.server.tls?.bouncers_allowed_ou, ['bouncer-ou']);
  assert.deepEqual(c.server.tls?.agents_allowed_ou, ['agent-ou']);
  assert.deepEqual(load('      agents_allowed_ou: []\n').server.tls?.agents_allowed_ou, []);
  assert.throws(() => load("      bouncers_allowed_ou: [bouncer-ou, '']\n"), {
    message: 'config: api.server.tls.bouncers_allowed_ou: allowed_ou configuration contains invalid empty string',
  });
  assert.throws(() => load("      agents_allowed_ou: ['']\n"), {
    message: 'config: api.server.tls.agents_allowed_ou: allowed_ou configuration contains invalid empty string',
  });
  assert.throws(() => load('      client_verification: VerifyAlways\n'), {
    message: 'config: api.server.tls.client_verification: unknown TLS client_verification value: VerifyAlways',
  });
  for (const m of [
    'NoClientCert',
    'RequestClientCert',
    'RequireAnyClientCert',
    'VerifyClientCertIfGiven',
    'RequireAndVerifyClientCert',
    "''",
  ]) {
    assert.doesNotThrow(() => load(`      client_verification: ${m}\n`));
  }
});
