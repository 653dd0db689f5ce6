import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCredentials } from '../../src/cli/credentials.js';
import { getMachine, listMachines, validateMachine } from '../../src/store/machines.js';
import { hasOpenssl } from '../helpers/pki.js';
import { filePki, startTlsServer } from '../helpers/tls.js';
import { cli, cliEnv } from './helpers.js';

const skip = !hasOpenssl && 'no openssl';
const pki = hasOpenssl ? filePki() : (undefined as never);

/** A CLI config whose client credentials file is `creds` (inside its temp dir); `yaml` goes under `api`. */
function clientEnv(t: Parameters<typeof cliEnv>[0], yaml = '') {
  const env = cliEnv(t, `api:\n  client:\n    credentials_path: CREDS\n${yaml}`);
  const creds = join(env.dir, 'local_api_credentials.yaml');
  writeFileSync(env.configPath, readFileSync(env.configPath, 'utf8').replace('CREDS', creds));
  return { env, creds };
}

const certCreds = (url: string, cert: string) =>
  `url: ${url}\nca_cert_path: ${pki.path('root.pem')}\ncert_path: ${pki.path(`${cert}-chain.pem`)}\nkey_path: ${pki.path(`${cert}-key.pem`)}\n`;

test('lapi status with a client certificate: the agent CN@ip logs in (twice: the cache), as cscli says it', { skip }, async (t) => {
  const server = await startTlsServer(t, pki);
  const { env, creds } = clientEnv(t);
  writeFileSync(creds, certCreds(server.url, 'agent'));
  for (let i = 0; i < 2; i++) {
    const ok = await cli(env, ['lapi', 'status']);
    assert.equal(ok.stderr, '');
    assert.equal(
      ok.stdout,
      `Loaded credentials from ${creds}\nTrying to authenticate with certificate "${pki.path('agent-chain.pem')}" on ${server.url}/\nYou can successfully interact with Local API (LAPI)\n`,
    );
  }
  assert.deepEqual(
    (await listMachines(server.db)).map((m) => [m.machineId, m.isValidated, m.ipAddress, m.authType]),
    [['web01@127.0.0.1', true, '127.0.0.1', 'tls']],
  );

  const fails = async () => (await cli(env, ['lapi', 'status'])).stderr;
  writeFileSync(creds, certCreds(server.url, 'wrong_ou'));
  assert.equal(
    await fails(),
    "Error: lapis lapi status: failed to authenticate to Local API (LAPI): API error: client certificate OU [other-ou] doesn't match expected OU [agent-ou]\n",
  );
  writeFileSync(creds, certCreds(server.url, 'agent_rev'));
  assert.equal(
    await fails(),
    'Error: lapis lapi status: failed to authenticate to Local API (LAPI): API error: certificate revoked by CRL\n',
  );
  writeFileSync(creds, certCreds(server.url, 'rogue_leaf'));
  assert.equal(
    await fails(),
    'Error: lapis lapi status: failed to authenticate to Local API (LAPI): API error: no verified cert in request\n',
  );
  assert.equal((await listMachines(server.db)).length, 1);
});

test('lapi status over HTTPS with a password: the CA file, insecure_skip_verify, and the server certificate check', { skip }, async (t) => {
  const server = await startTlsServer(t, pki);
  const { env, creds } = clientEnv(t);
  const reg = await cli(env, ['lapi', 'register', '-u', server.url, '--machine', 'pw-agent', '-f', join(env.dir, 'unused.yaml')]);
  // no CA: the server's certificate does not verify against the system pool
  assert.equal(reg.code, 1);
  assert.match(
    reg.stderr,
    new RegExp(
      `^Error: lapis lapi register: api client register: Post "${server.url}/v1/watchers": unable to get local issuer certificate\\n$`,
    ),
  );

  // register reads ca_cert_path from the file it writes, and keeps it there
  writeFileSync(creds, `ca_cert_path: ${pki.path('root.pem')}\n`);
  const ok = await cli(env, ['lapi', 'register', '-u', server.url, '--machine', 'pw-agent']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(Object.keys(readCredentials(creds)), ['url', 'login', 'password', 'ca_cert_path']);
  await validateMachine(server.db, 'pw-agent');
  const status = await cli(env, ['lapi', 'status']);
  assert.equal(
    status.stdout,
    `Loaded credentials from ${creds}\nTrying to authenticate with username "pw-agent" on ${server.url}/\nYou can successfully interact with Local API (LAPI)\n`,
  );
  assert.equal((await getMachine(server.db, 'pw-agent'))?.authType, 'password');

  // with -f elsewhere, the CA comes from api.client.credentials_path, as upstream
  const other = join(env.dir, 'other.yaml');
  assert.equal((await cli(env, ['lapi', 'register', '-u', server.url, '--machine', 'pw-2', '-f', other])).code, 0);
  assert.equal(readCredentials(other).ca_cert_path, undefined);

  const { login, password } = readCredentials(creds);
  writeFileSync(creds, `url: ${server.url}\nlogin: ${login}\npassword: ${password}\ninsecure_skip_verify: true\n`);
  assert.equal((await cli(env, ['lapi', 'status'])).code, 0);
  writeFileSync(creds, `url: ${server.url}\nlogin: ${login}\npassword: ${password}\n`);
  assert.match(
    (await cli(env, ['lapi', 'status'])).stderr,
    /failed to authenticate to Local API \(LAPI\): Post ".*": unable to get local issuer certificate\n$/,
  );
  // api.client.insecure_skip_verify applies when the file says nothing
  const insecure = clientEnv(t, '    insecure_skip_verify: true\n');
  writeFileSync(insecure.creds, `url: ${server.url}\nlogin: ${login}\npassword: ${password}\n`);
  assert.equal((await cli(insecure.env, ['lapi', 'status'])).code, 0);
});

test('client TLS settings refused as upstream refuses them, before anything is printed', { skip }, async (t) => {
  const { env, creds } = clientEnv(t);
  const status = async (yaml: string) => {
    writeFileSync(creds, yaml);
    const r = await cli(env, ['lapi', 'status']);
    assert.equal(r.stdout, '');
    return r.stderr;
  };
  const prefix = 'Error: lapis lapi status: loading api client: ';
  assert.equal(
    await status(`url: /run/lapi.sock\nca_cert_path: ${pki.path('root.pem')}\n`),
    `${prefix}cannot use TLS with a unix socket\n`,
  );
  assert.equal(
    await status(`url: /run/lapi.sock\nkey_path: ${pki.path('agent-key.pem')}\n`),
    `${prefix}cannot use TLS with a unix socket\n`,
  );
  assert.equal(
    await status(`url: https://x\nlogin: a\npassword: b\ncert_path: ${pki.path('agent.pem')}\n`),
    `${prefix}user/password authentication and TLS authentication are mutually exclusive\n`,
  );
  const missing = join(env.dir, 'nope.pem');
  assert.equal(
    await status(`url: https://x\ncert_path: ${pki.path('agent.pem')}\nkey_path: ${missing}\n`),
    `${prefix}failed to load api client certificate: open ${missing}: no such file or directory\n`,
  );
  assert.match(
    await status(`url: https://x\ncert_path: ${pki.path('agent.pem')}\nkey_path: ${pki.path('bouncer-key.pem')}\n`),
    /^Error: lapis lapi status: loading api client: failed to load api client certificate: .*key values mismatch\n$/,
  );
});

test('machines add writes an https URL when the server listens with TLS', { skip }, async (t) => {
  const env = cliEnv(
    t,
    `api:\n  server:\n    listen_uri: 127.0.0.1:8443\n    tls:\n      cert_file: ${pki.path('server-chain.pem')}\n      key_file: ${pki.path('server-key.pem')}\n`,
  );
  const out = join(env.dir, 'm.yaml');
  const r = await cli(env, ['machines', 'add', 'm1', '--auto', '-f', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readCredentials(out).url, 'https://127.0.0.1:8443');
});
