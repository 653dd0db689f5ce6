import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { describe, test, type TestContext } from 'node:test';
import { sql } from 'kysely';
import { stringify } from 'yaml';
import { openDb } from '../../src/store/db.js';
import { openKysely } from '../../src/store/dialect.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir, testConfig } from '../helpers/app.js';
import { freshDbConfig, testDialect } from '../helpers/dialect.js';
import { startPgTlsProxy, type PgTlsProxy } from '../helpers/pg-tls-proxy.js';
import { hasOpenssl, type Pki } from '../helpers/pki.js';
import { filePki } from '../helpers/tls.js';

/**
 * db_config.sslmode and ssl_ca_cert / ssl_client_cert / ssl_client_key against real engines. The local
 * PostgreSQL has no TLS and is shared, so a TLS-terminating double (helpers/pg-tls-proxy.ts) stands in front
 * of it with a chain from a private CA (root → intermediate → server, helpers/pki.ts).
 */

const CONNECT = 'db_config: cannot connect to the database: ';
const onPg = testDialect() === 'postgres';
const pki: Pki | undefined = onPg && hasOpenssl ? filePki() : undefined;
const skipPg = !onPg ? 'PostgreSQL runs only' : !hasOpenssl && 'no openssl';

/** A server certificate from the same intermediate whose only name is not the address Lapis dials. */
function wrongNameCert(p: Pki): { cert: Buffer; key: Buffer } {
  writeFileSync(p.path('elsewhere.ext'), 'subjectAltName = DNS:elsewhere.example\nextendedKeyUsage = serverAuth\n');
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: p.dir, stdio: 'pipe' });
  run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'elsewhere-key.pem']);
  run(['req', '-new', '-key', 'elsewhere-key.pem', '-subj', '/CN=elsewhere.example', '-out', 'elsewhere.csr']);
  run(
    ['x509', '-req', '-in', 'elsewhere.csr', '-CA', 'inter.pem', '-CAkey', 'inter-key.pem', '-CAcreateserial'].concat([
      '-days',
      '30',
      '-extfile',
      'elsewhere.ext',
      '-out',
      'elsewhere.pem',
    ]),
  );
  return { cert: Buffer.concat([p.read('elsewhere.pem'), p.read('inter.pem')]), key: p.read('elsewhere-key.pem') };
}

async function proxy(t: TestContext, server: { cert: Buffer; key: Buffer }): Promise<PgTlsProxy> {
  const px = await startPgTlsProxy({ ...server, upstream: { host: '127.0.0.1', port: 5432 } });
  t.after(() => px.close());
  return px;
}

const goodServer = () => ({ cert: pki!.read('server-chain.pem'), key: pki!.read('server-key.pem') });

/** Opens (and migrates) a fresh PostgreSQL database through `port` with these db_config keys, then closes it. */
async function openThrough(t: TestContext, port: number, keys: Record<string, string>): Promise<void> {
  const db_config = { ...freshDbConfig('postgres'), port, ...keys };
  const config = testConfig(tempDir(t), stringify({ db_config }));
  const db = await openDb(config.db);
  try {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from machines`.execute(db);
    assert.deepEqual(rows, [{ n: 0 }]);
  } finally {
    await db.destroy();
  }
}

describe('PostgreSQL over TLS, through a TLS-terminating double', { skip: skipPg }, () => {
  test('verify-full with the private CA connects and migrates; no client certificate is sent unasked', async (t) => {
    const px = await proxy(t, goodServer());
    await openThrough(t, px.port, { sslmode: 'verify-full', ssl_ca_cert: pki!.path('root.pem') });
    assert.ok(px.clientCerts.length > 0, 'every connection went through TLS');
    assert.deepEqual(new Set(px.clientCerts), new Set([null]));
    assert.equal(px.plainAttempts, 0);
  });

  test('verify-full without the CA, or with another CA, fails on the certificate', async (t) => {
    const px = await proxy(t, goodServer());
    await assert.rejects(openThrough(t, px.port, { sslmode: 'verify-full' }), {
      message: `${CONNECT}unable to get local issuer certificate`,
    });
    await assert.rejects(openThrough(t, px.port, { sslmode: 'verify-full', ssl_ca_cert: pki!.path('rogue.pem') }), {
      message: `${CONNECT}unable to get local issuer certificate`,
    });
    assert.deepEqual(px.clientCerts, [], 'no session was established');
  });

  test('a certificate for another name: verify-full refuses it, verify-ca and require accept it', async (t) => {
    const px = await proxy(t, wrongNameCert(pki!));
    const ca = pki!.path('root.pem');
    await assert.rejects(openThrough(t, px.port, { sslmode: 'verify-full', ssl_ca_cert: ca }), {
      message: `${CONNECT}Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: `,
    });
    await openThrough(t, px.port, { sslmode: 'verify-ca', ssl_ca_cert: ca });
    await openThrough(t, px.port, { sslmode: 'require' });
  });

  test('require with a CA checks the chain, as libpq does when it has a root certificate', async (t) => {
    const px = await proxy(t, goodServer());
    await openThrough(t, px.port, { sslmode: 'require', ssl_ca_cert: pki!.path('root.pem') });
    await assert.rejects(openThrough(t, px.port, { sslmode: 'require', ssl_ca_cert: pki!.path('rogue.pem') }), {
      message: `${CONNECT}unable to get local issuer certificate`,
    });
  });

  test('ssl_client_cert and ssl_client_key are presented', async (t) => {
    const px = await proxy(t, goodServer());
    await openThrough(t, px.port, {
      sslmode: 'verify-full',
      ssl_ca_cert: pki!.path('root.pem'),
      ssl_client_cert: pki!.path('agent-chain.pem'),
      ssl_client_key: pki!.path('agent-key.pem'),
    });
    assert.ok(px.clientCerts.length > 0);
    assert.deepEqual(new Set(px.clientCerts), new Set(['web01']));
  });

  test('TLS asked of the real server, which has none, fails clearly', async (t) => {
    await assert.rejects(openThrough(t, 5432, { sslmode: 'require' }), {
      message: `${CONNECT}The server does not support SSL connections`,
    });
  });
});

const onMysql = testDialect() === 'mysql';
const mysqlHasTls = (): boolean =>
  /have_ssl\s+YES/.test(
    execFileSync('mariadb', ['-h', '127.0.0.1', '-u', 'root', '-e', "SHOW VARIABLES LIKE 'have_ssl'"], { encoding: 'utf8' }),
  );

describe('MySQL/MariaDB TLS options', { skip: !onMysql && 'MySQL runs only' }, () => {
  // the local MariaDB has TLS disabled (have_ssl DISABLED): this shows the options reach mysql2, not a TLS session
  test('sslmode require against a server without TLS fails clearly', {
    skip: onMysql && mysqlHasTls() && 'this server has TLS',
  }, async (t) => {
    const db_config = { ...freshDbConfig('mysql'), sslmode: 'require' };
    const config = testConfig(tempDir(t), stringify({ db_config }));
    await assert.rejects(openDb(config.db), { message: `${CONNECT}Server does not support secure connection` });
  });
});

test('an unreadable ssl_* file is a ConfigError naming the key, raised when the pool is built', async (t) => {
  for (const type of ['postgresql', 'mysql']) {
    const config = testConfig(tempDir(t), stringify({ db_config: { type, sslmode: 'verify-full', ssl_ca_cert: '/nonexistent/ca.pem' } }));
    await assert.rejects(openKysely(config.db), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, 'config: db_config.ssl_ca_cert: cannot read /nonexistent/ca.pem: ENOENT');
      return true;
    });
  }
});
