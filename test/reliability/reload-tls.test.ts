import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server.js';
import { cliEnv } from '../cli/helpers.js';
import { tempDir, withTestDb } from '../helpers/app.js';
import { hasOpenssl } from '../helpers/pki.js';
import { readAnswer } from '../helpers/raw-http.js';
import { filePki, https, tlsYaml } from '../helpers/tls.js';
import { startServe } from '../helpers/serve-process.js';

const skip = !hasOpenssl && 'no openssl';
const pki = hasOpenssl ? filePki() : (undefined as never);

/** What a fresh TLS client is shown by the listener at `address` (host:port). */
function servedCertificate(address: string): Promise<{ fingerprint256: string; validTo: string }> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, ca: pki.read('root.pem'), servername: 'localhost' }, () => {
      const c = s.getPeerCertificate();
      s.end();
      resolve({ fingerprint256: c.fingerprint256, validTo: c.valid_to });
    });
    s.once('error', reject);
  });
}

const fingerprintOf = (pemFile: string) => new X509Certificate(readFileSync(pemFile)).fingerprint256;

/** A renewed server certificate (new key, new serial, valid until `end`) signed by the PKI's intermediate, written over `dir`'s files. */
function renewServerCertificate(dir: string, end: string): void {
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: pki.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const [key, csr, cert] = [join(dir, 'renewed-key.pem'), join(dir, 'renewed.csr'), join(dir, 'renewed.pem')];
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  openssl(['req', '-new', '-key', key, '-subj', '/CN=localhost', '-out', csr]);
  openssl([
    'ca',
    '-batch',
    '-notext',
    '-config',
    pki.path('inter/ca.cnf'),
    '-extensions',
    'server',
    '-in',
    csr,
    '-out',
    cert,
    '-enddate',
    end,
  ]);
  writeFileSync(join(dir, 'server-chain.pem'), readFileSync(cert, 'utf8') + pki.read('inter.pem').toString('utf8'));
  copyFileSync(key, join(dir, 'server-key.pem'));
}

/** A keep-alive HTTPS connection on which requests are written by hand, so that the test knows it is the same one. */
async function keepAlive(address: string): Promise<{ socket: TLSSocket; health(): Promise<string> }> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const socket = await new Promise<TLSSocket>((resolve, reject) => {
    const s = connect({ host, port, ca: pki.read('root.pem'), servername: 'localhost' }, () => resolve(s));
    s.once('error', reject);
  });
  return {
    socket,
    health: async () => {
      socket.write(`GET /health HTTP/1.1\r\nHost: ${address}\r\n\r\n`);
      const { text, ended } = await readAnswer(socket, { untilText: /\{"status":"up"\}$/ });
      assert.equal(ended, 'open', text);
      return text.split('\r\n')[0]!;
    },
  };
}

/** `lapis serve` on HTTPS with the server certificate copied into the test's dir (so that it can be renewed there). */
function tlsEnv(t: Parameters<typeof cliEnv>[0], common = '') {
  const env = cliEnv(t, 'api:\n  server:\n    listen_uri: 127.0.0.1:0\n');
  for (const f of ['server-chain.pem', 'server-key.pem', 'crl.pem']) copyFileSync(pki.path(f), join(env.dir, f));
  const tls = tlsYaml(pki, [], {
    cert_file: join(env.dir, 'server-chain.pem'),
    key_file: join(env.dir, 'server-key.pem'),
    crl_path: join(env.dir, 'crl.pem'),
  });
  // the generated config (database, admin listener) with the TLS keys and `common` appended where they belong
  const text = readFileSync(env.configPath, 'utf8').replace('    listen_uri: 127.0.0.1:0\n', `    listen_uri: 127.0.0.1:0\n${tls}`);
  writeFileSync(env.configPath, `${text}${common}`);
  return env;
}

test('SIGHUP with a renewed certificate: the next TLS client gets it, on both listeners, without a restart; an open connection goes on', {
  skip,
}, async (t) => {
  const env = tlsEnv(t);
  const serve = await startServe(t, env.configPath);
  const adminLine = await serve.waitLine(0, (l) => /^Lapis admin API listening on /.test(String(l.msg)), 'the admin line');
  const admin = String(adminLine.msg).replace('Lapis admin API listening on ', '');
  const original = fingerprintOf(pki.path('server.pem'));
  assert.equal((await servedCertificate(serve.address)).fingerprint256, original);
  const conn = await keepAlive(serve.address);
  assert.equal(await conn.health(), 'HTTP/1.1 200 OK');

  renewServerCertificate(env.dir, '20351231000000Z');
  const renewed = fingerprintOf(join(env.dir, 'renewed.pem'));
  assert.notEqual(renewed, original);
  const line = await serve.hangup();
  assert.deepEqual(
    [line.level, line.msg],
    [30, 'reloaded: profiles (2), notifications (0), tls certificate (expires 2035-12-31T00:00:00Z), client ca, crl, log level info'],
  );
  const next = await servedCertificate(serve.address);
  assert.equal(next.fingerprint256, renewed);
  assert.equal(next.validTo, 'Dec 31 00:00:00 2035 GMT');
  assert.equal((await servedCertificate(admin)).fingerprint256, renewed);
  // the connection opened before the reload is still the one answering, with the certificate it was shown
  assert.equal(await conn.health(), 'HTTP/1.1 200 OK');
  assert.equal(conn.socket.getPeerCertificate().fingerprint256, original);
  conn.socket.destroy();
  // the same process all along: it started once and is still running
  assert.equal(serve.lines().filter((l) => /^Lapis Local API listening on /.test(String(l.msg))).length, 1);
  assert.equal(serve.child.exitCode, null);

  // a key that does not match the certificate: refused in one error line, the renewed certificate stays
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', join(env.dir, 'server-key.pem')]);
  const refused = await serve.hangup();
  assert.equal(refused.level, 50);
  assert.match(
    String(refused.msg),
    new RegExp(
      `^reload refused, the running configuration stays in effect: api\\.server\\.tls: cert_file ${join(env.dir, 'server-chain.pem')}, key_file ${join(env.dir, 'server-key.pem')}: .*key values mismatch`,
    ),
  );
  assert.equal((await servedCertificate(serve.address)).fingerprint256, renewed);
  assert.equal(await (await keepAlive(serve.address)).health(), 'HTTP/1.1 200 OK');
});

/** Replaces each [from, to] in the config file. */
function edit(configPath: string, ...pairs: [string, string][]): void {
  let text = readFileSync(configPath, 'utf8');
  for (const [from, to] of pairs) {
    assert.ok(text.includes(from), `${from} in the config`);
    text = text.replace(from, to);
  }
  writeFileSync(configPath, text);
}

const asBouncer = (address: string) => https(pki, `https://${address}/v1/decisions`, { cert: 'bouncer' });
const isRequestLine = (l: Record<string, unknown>) => l.msg === 'request' && l.level === 20;

test('SIGHUP after the config names a CRL revoking a bouncer and log_level debug: refused from then on, debug lines appear; a bad CRL changes nothing', {
  skip,
}, async (t) => {
  const env = tlsEnv(t, 'common:\n  log_level: info\n');
  const serve = await startServe(t, env.configPath);
  assert.deepEqual(await asBouncer(serve.address).then((r) => [r.status, r.body]), [200, 'null']);
  assert.equal(serve.lines().filter(isRequestLine).length, 0);

  // a new CRL file: the running server never looks at it until it is told to
  pki.revoke('bouncer');
  copyFileSync(pki.path('crl.pem'), join(env.dir, 'crl-next.pem'));
  edit(env.configPath, [join(env.dir, 'crl.pem'), join(env.dir, 'crl-next.pem')], ['log_level: info', 'log_level: debug']);
  const line = await serve.hangup();
  assert.match(
    String(line.msg),
    /^reloaded: profiles \(2\), notifications \(0\), tls certificate \(expires [0-9-]+T[0-9:]+Z\), client ca, crl, log level debug$/,
  );
  const from = serve.lines().length;
  assert.deepEqual(await asBouncer(serve.address).then((r) => [r.status, r.body]), [403, '{"message":"access forbidden"}']);
  const debug = await serve.waitLine(from, isRequestLine, 'a debug request line');
  assert.deepEqual([debug.url, debug.status], ['/v1/decisions', 403]);

  // a CRL that does not parse, with the level set back: nothing of it applies, the level stays debug
  writeFileSync(join(env.dir, 'crl-bad.pem'), '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n');
  edit(env.configPath, [join(env.dir, 'crl-next.pem'), join(env.dir, 'crl-bad.pem')], ['log_level: debug', 'log_level: info']);
  const refused = await serve.hangup();
  assert.equal(refused.level, 50);
  assert.match(
    String(refused.msg),
    new RegExp(
      `^reload refused, the running configuration stays in effect: api\\.server\\.tls\\.crl_path: ${join(env.dir, 'crl-bad.pem')}: could not parse file: `,
    ),
  );
  const after = serve.lines().length;
  assert.equal((await asBouncer(serve.address)).status, 403);
  await serve.waitLine(after, isRequestLine, 'a debug request line after the refused reload');
});

test("reload renews the blocklist mirror's certificate too", { skip }, async (t) => {
  const dir = tempDir(t);
  for (const f of ['server-chain.pem', 'server-key.pem']) copyFileSync(pki.path(f), join(dir, f));
  const configPath = join(dir, 'config.yaml');
  const mirror = `blocklist_mirror:\n  listen_uri: 127.0.0.1:0\n  crowdsec_config: {lapi_url: 'http://127.0.0.1:8080/', lapi_key: not-used}\n  blocklists:\n    - {format: plain_text, endpoint: /security/blocklist}\n  tls: {cert_file: ${join(dir, 'server-chain.pem')}, key_file: ${join(dir, 'server-key.pem')}}\n`;
  writeFileSync(
    configPath,
    withTestDb(`config_paths:\n  data_dir: ${join(dir, 'data')}\napi:\n  server:\n    listen_uri: 127.0.0.1:0\n${mirror}`),
  );
  const server = await startServer(loadConfig({ path: configPath, env: {} }), pino({ level: 'silent' }));
  t.after(() => server.close());
  const address = server.mirrorUrl!.replace('https://', '');
  assert.equal((await servedCertificate(address)).fingerprint256, fingerprintOf(pki.path('server.pem')));

  renewServerCertificate(dir, '20340630120000Z');
  assert.deepEqual(await server.reload(), {
    reloaded: ['profiles (2)', 'notifications (0)', 'mirror certificate (expires 2034-06-30T12:00:00Z)', 'log level info'],
    restartNeeded: [],
  });
  assert.equal((await servedCertificate(address)).fingerprint256, fingerprintOf(join(dir, 'renewed.pem')));
});
