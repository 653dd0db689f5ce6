import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { checkPassword, hashPassword } from '../../src/auth/password.js';
import { prepareApiUrl, readCredentials } from '../../src/cli/credentials.js';
import { lapiRegister } from '../../src/cli/lapi/register.js';
import { lapiStatus } from '../../src/cli/lapi/status.js';
import { lapisVersion } from '../../src/version.js';
import { createMachine, getMachine } from '../../src/store/machines.js';
import { startTestServer } from '../helpers/server.js';
import { cli, cliEnv } from './helpers.js';

const TOKEN = 'a-registration-token-of-32-chars-or-more';

/** A port nothing listens on (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** A CLI config whose client credentials file is `creds` (inside its temp dir). */
function clientEnv(t: Parameters<typeof cliEnv>[0]) {
  const env = cliEnv(t, 'api:\n  client:\n    credentials_path: CREDS\n');
  const creds = join(env.dir, 'local_api_credentials.yaml');
  writeFileSync(env.configPath, readFileSync(env.configPath, 'utf8').replace('CREDS', creds));
  return { env, creds };
}

test('lapi status: logs in with the credentials file and reports, as cscli', async (t) => {
  const server = await startTestServer(t);
  await createMachine(server.db, { machineId: 'web-01', passwordHash: await hashPassword('0123'), isValidated: true });
  const { env, creds } = clientEnv(t);
  // `password: 0123` is the string "0123", as yaml.v3 reads it into a string field
  writeFileSync(creds, `url: ${server.url}\nlogin: web-01\npassword: 0123\n`);
  const ok = await cli(env, ['lapi', 'status']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(
    ok.stdout,
    `Loaded credentials from ${creds}\nTrying to authenticate with username "web-01" on ${server.url}/\nYou can successfully interact with Local API (LAPI)\n`,
  );
  assert.equal(ok.stderr, '');
  // the server took the version from our User-Agent `lapis/<version>`
  const m = await getMachine(server.db, 'web-01');
  assert.equal(m!.version, lapisVersion());
  assert.equal(m!.ipAddress, '127.0.0.1');

  writeFileSync(creds, `url: ${server.url}/\nlogin: web-01\npassword: wrong\n`);
  const bad = await cli(env, ['lapi', 'status']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout, `Loaded credentials from ${creds}\nTrying to authenticate with username "web-01" on ${server.url}/\n`);
  assert.equal(
    bad.stderr,
    'Error: lapis lapi status: failed to authenticate to Local API (LAPI): API error: incorrect Username or Password\n',
  );

  // upstream's TLS keys are read as the client loads: an unreadable CA fails before anything is printed (test/cli/lapi-tls.test.ts)
  writeFileSync(
    creds,
    `url: ${server.url}\nlogin: web-01\npassword: '0123'\nca_cert_path: /nonexistent/ca.pem\ninsecure_skip_verify: false\n`,
  );
  const tls = await cli(env, ['lapi', 'status']);
  assert.deepEqual([tls.code, tls.stdout], [1, '']);
  assert.equal(
    tls.stderr,
    'Error: lapis lapi status: loading api client: failed to load cacert: open /nonexistent/ca.pem: no such file or directory\n',
  );
});

test('lapi status: credential file errors with cscli messages', async (t) => {
  const { env, creds } = clientEnv(t);
  const missing = await cli(env, ['lapi', 'status']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, '');
  assert.equal(
    missing.stderr,
    `Error: lapis lapi status: loading api client: while reading yaml file: open ${creds}: no such file or directory\n`,
  );

  writeFileSync(creds, 'login: web-01\npassword: x\n');
  assert.equal(
    (await cli(env, ['lapi', 'status'])).stderr,
    `Error: lapis lapi status: no credentials or URL found in api client configuration '${creds}'\n`,
  );
  writeFileSync(creds, 'url: http://127.0.0.1:1\nlogin: a\npassword: b\nfoo: bar\n');
  assert.equal(
    (await cli(env, ['lapi', 'status'])).stderr,
    `Error: lapis lapi status: failed to unmarshal api client credential configuration file '${creds}': line 4: field foo not found in type csconfig.ApiCredentialsCfg\n`,
  );
  const port = await closedPort();
  writeFileSync(creds, `url: http://127.0.0.1:${port}\nlogin: a\npassword: b\n`);
  const refused = await cli(env, ['lapi', 'status']);
  assert.equal(
    refused.stderr,
    `Error: lapis lapi status: failed to authenticate to Local API (LAPI): Post "http://127.0.0.1:${port}/v1/watchers/login": connect ECONNREFUSED 127.0.0.1:${port}\n`,
  );
  // the .local overlay, key by key
  writeFileSync(`${creds}.local`, 'login: other\n');
  assert.deepEqual(readCredentials(creds), { url: `http://127.0.0.1:${port}`, login: 'other', password: 'b' });
  const lines: string[] = [];
  await assert.rejects(lapiStatus(env.config, { print: (l) => lines.push(l), warn: () => {} }), /ECONNREFUSED/);
  assert.deepEqual(lines, [
    `Loaded credentials from ${creds}`,
    `Trying to authenticate with username "other" on http://127.0.0.1:${port}/`,
  ]);
});

test('lapi register: POST /v1/watchers, the URL fixed up, credentials written keeping other keys', async (t) => {
  const server = await startTestServer(t);
  const { env, creds } = clientEnv(t);
  writeFileSync(creds, 'url: http://old.example/\nlogin: old\npassword: old\nca_cert_path: /etc/ssl/ca.pem\n');
  const hostPort = server.url.replace('http://', '');
  const r = await cli(env, ['lapi', 'register', '-u', hostPort, '--machine', 'r1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `Successfully registered to Local API (LAPI)\nLocal API credentials written to '${creds}'\n`);
  const written = readCredentials(creds);
  assert.deepEqual(Object.keys(written), ['url', 'login', 'password', 'ca_cert_path']);
  assert.equal(written.url, `${server.url}/`);
  assert.equal(written.login, 'r1');
  assert.match(written.password!, /^[A-Ya-z0-9]{64}$/);
  const m = await getMachine(server.db, 'r1');
  assert.equal(m!.isValidated, false);
  assert.ok(await checkPassword(written.password!, m!.passwordHash));

  const dup = await cli(env, ['lapi', 'register', '-u', server.url, '--machine', 'r1', '-f', join(env.dir, 'dup.yaml')]);
  assert.equal(dup.code, 1);
  assert.equal(dup.stderr, "Error: lapis lapi register: api client register: 403 Forbidden: API error: user 'r1': user already exist\n");

  // -f elsewhere, no -u: the URL comes from the file being replaced
  const other = join(env.dir, 'other.yaml');
  writeFileSync(other, `url: ${server.url}\n`);
  const res = await lapiRegister(env.config, { file: other });
  assert.equal(res.url, `${server.url}/`);
  assert.equal(res.machineId.length, 48);
  assert.ok(await getMachine(server.db, res.machineId));

  const nowhere = join(env.dir, 'nowhere.yaml');
  const noUrl = await cli(env, ['lapi', 'register', '-f', nowhere]);
  assert.equal(
    noUrl.stderr,
    'Error: lapis lapi register: parsing api url: no Local API URL. Please provide it in your configuration or with the -u parameter\n',
  );
  const port = await closedPort();
  const refused = await cli(env, ['lapi', 'register', '-u', `127.0.0.1:${port}`, '-f', nowhere]);
  assert.equal(
    refused.stderr,
    `Error: lapis lapi register: api client register: Post "http://127.0.0.1:${port}/v1/watchers": connect ECONNREFUSED 127.0.0.1:${port}\n`,
  );
  assert.equal(prepareApiUrl('https://x'), 'https://x/');
  assert.equal(prepareApiUrl('/run/lapi.sock'), '/run/lapi.sock/');
});

test('lapi register --token: auto-registration validates; short and wrong tokens are refused with the API error', async (t) => {
  const server = await startTestServer(
    t,
    `    auto_registration:\n      enabled: true\n      token: ${TOKEN}\n      allowed_ranges: ['127.0.0.1/32']\n`,
  );
  const { env } = clientEnv(t);
  const f = join(env.dir, 'auto.yaml');
  const ok = await cli(env, ['lapi', 'register', '-u', server.url, '--machine', 'auto1', '--token', TOKEN, '-f', f]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((await getMachine(server.db, 'auto1'))!.isValidated, true);
  // the client config's own credentials file does not exist yet: copy the new one there
  assert.equal((await cli(env, ['lapi', 'status'])).code, 1);
  writeFileSync(env.config.client.credentials_path, readFileSync(f));
  assert.equal((await cli(env, ['lapi', 'status'])).code, 0);

  const short = await cli(env, ['lapi', 'register', '-u', server.url, '--machine', 'auto2', '--token', 'short', '-f', f]);
  assert.equal(
    short.stderr,
    'Error: lapis lapi register: api client register: 422 Unprocessable Entity: API error: http code 422, invalid request: ' +
      '{"message":"validation failure list:\\nregistration_token in body should be at least 32 chars long"}\n',
  );
  const wrong = await cli(env, ['lapi', 'register', '-u', server.url, '--machine', 'auto3', '--token', 'x'.repeat(40), '-f', f]);
  assert.equal(
    wrong.stderr,
    'Error: lapis lapi register: api client register: 401 Unauthorized: API error: invalid token for auto registration\n',
  );
  assert.equal(await getMachine(server.db, 'auto3'), undefined);
});
