import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { BouncerClient, WatcherClient } from 'crowdsec-client';
import { getBouncer } from '../../src/store/bouncers.js';
import { getMachine } from '../../src/store/machines.js';
import { cscliAlert } from '../helpers/actors.js';
import { hasOpenssl } from '../helpers/pki.js';
import { filePki, startTlsServer } from '../helpers/tls.js';

const run = promisify(execFile);
const pki = hasOpenssl ? filePki() : (undefined as never);
const tlsAuth = (name: string) => ({ cert: pki.read(`${name}-chain.pem`), key: pki.read(`${name}-key.pem`), ca: pki.read('root.pem') });

test('npm crowdsec-client with TLS authentication, unchanged: a watcher logs in and pushes, a bouncer streams', {
  skip: !hasOpenssl && 'no openssl',
}, async (t) => {
  const srv = await startTlsServer(t, pki);
  const watcher = new WatcherClient({ url: srv.url, auth: tlsAuth('agent'), heartbeat: false, scenarios: ['crowdsecurity/ssh-bf'] });
  await watcher.login();
  t.after(() => watcher.stop());
  const m = await getMachine(srv.db, 'web01@127.0.0.1');
  assert.deepEqual([m?.authType, m?.isValidated, m?.version, m?.scenarios], ['tls', true, 'v1.2.0', ['crowdsecurity/ssh-bf']]);
  assert.deepEqual(await watcher.Alerts.pushAlerts([cscliAlert('198.51.100.7')] as never), ['1']);

  const bouncer = new BouncerClient({ url: srv.url, auth: tlsAuth('bouncer') });
  await bouncer.login();
  t.after(() => bouncer.stop());
  const startup = await bouncer.Decisions.getRawStream({ startup: true });
  assert.deepEqual(
    startup.new?.map((d) => d.value),
    ['198.51.100.7'],
  );
  assert.deepEqual(await bouncer.Decisions.search({ ip: '198.51.100.7' } as never).then((l) => l?.map((d) => d.value)), ['198.51.100.7']);

  // the library's polling stream: a decision pushed now arrives as `added`
  const stream = bouncer.Decisions.getStream({ interval: 100 });
  const seen: string[] = [];
  stream.on('added', (d) => seen.push(d.value));
  stream.resume();
  await once(stream, 'parsed'); // the startup pull
  await watcher.Alerts.pushAlerts([cscliAlert('203.0.113.5')] as never);
  while (!seen.includes('203.0.113.5')) await once(stream, 'parsed');
  stream.close();
  assert.deepEqual(seen, ['198.51.100.7', '203.0.113.5']);
  const b = await getBouncer(srv.db, 'fw01@127.0.0.1');
  assert.deepEqual([b?.authType, b?.type, b?.version], ['tls', 'node-crowdsec-client', 'v1.2.0']);

  // a refused certificate makes the library's connection test fail
  await assert.rejects(new BouncerClient({ url: srv.url, auth: tlsAuth('wrong_ou') }).login());
});

const hasCurl = spawnSync('curl', ['--version']).status === 0;

test('curl --cacert ca.pem --cert bouncer.pem --key bouncer-key.pem …/v1/decisions/stream?startup=true answers 200', {
  skip: !(hasOpenssl && hasCurl) && 'no openssl or curl',
}, async (t) => {
  // the server trusts the root and the intermediate, so the client sends its bare certificate
  const srv = await startTlsServer(t, pki, [], { ca_cert_path: pki.path('bundle.pem') });
  const curl = (cert: string) =>
    run('curl', [
      '-sS',
      '--cacert',
      pki.path('root.pem'),
      '--cert',
      pki.path(`${cert}.pem`),
      '--key',
      pki.path(`${cert}-key.pem`),
      '-w',
      '\n%{http_code}',
      `${srv.url}/v1/decisions/stream?startup=true`,
    ]);
  const ok = await curl('bouncer');
  assert.equal(ok.stdout, '{"new": null, "deleted": null}\n200');
  assert.equal((await getBouncer(srv.db, 'fw01@127.0.0.1'))?.type, 'curl');
  assert.equal((await curl('wrong_ou')).stdout, '{"message":"access forbidden"}\n403');
  // TLS 1.1 is refused at the handshake
  await assert.rejects(run('curl', ['-sS', '--cacert', pki.path('root.pem'), '--tlsv1.1', '--tls-max', '1.1', `${srv.url}/health`]));
});
