import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { parseCrlFile } from '../../src/auth/tls-crl.js';
import { ocspRequest, ocspStatus, ocspUrls, parseOcspResponse, postOcsp } from '../../src/auth/tls-ocsp.js';
import { TlsAuth, type PeerCertificate, type TlsSettings } from '../../src/auth/tls.js';
import { hasOpenssl, type Pki } from '../helpers/pki.js';
import { filePki } from '../helpers/tls.js';
import { freePort } from '../helpers/ports.js';

const skip = !hasOpenssl && 'no openssl';
const silent = pino({ level: 'silent' });

const ocspPort = hasOpenssl ? await freePort() : 0;
const pki: Pki = hasOpenssl ? filePki({ ocspUrl: `http://127.0.0.1:${ocspPort}` }) : (undefined as never);
const cert = (name: string) => new X509Certificate(pki.read(`${name}.pem`));

/** What the listener would hand TlsAuth for a verified leaf under the intermediate. */
function peer(name: string): PeerCertificate {
  const leaf = cert(name);
  const subject = leaf.subject.split('\n');
  const values = (k: string) => subject.filter((l) => l.startsWith(`${k}=`)).map((l) => l.slice(k.length + 1));
  return { leaf, ous: values('OU'), cn: values('CN').at(-1) ?? '', chain: [leaf, cert('inter'), cert('root')], tlsError: undefined };
}

function settings(over: Partial<TlsSettings> = {}): TlsSettings {
  return {
    certFile: '',
    keyFile: '',
    caFile: pki.path('root.pem'),
    mode: 'VerifyClientCertIfGiven',
    agentsAllowedOu: ['agent-ou'],
    bouncersAllowedOu: ['bouncer-ou'],
    crlPath: '',
    cacheMs: 3_600_000,
    ...over,
  };
}

/** `openssl ocsp` answering for the intermediate, signed by `signer`, on `port`; stopped when the file ends. */
const responders: ChildProcess[] = [];
after(() => {
  for (const r of responders) r.kill();
});
async function responder(port: number, signer: 'inter' | 'ocsp_signer' = 'inter'): Promise<ChildProcess> {
  const signerCert = signer === 'inter' ? pki.path('inter.pem') : pki.path('ocsp_signer.pem');
  const child = spawn(
    'openssl',
    [
      'ocsp',
      '-index',
      pki.path('inter/index.txt'),
      '-port',
      String(port),
      '-rsigner',
      signerCert,
      '-rkey',
      pki.path(`${signer}-key.pem`),
      '-CA',
      pki.path('inter.pem'),
      '-nmin',
      '5',
      '-ignore_err',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  responders.push(child);
  // it serves one connection at a time: wait for its banner rather than probing the port
  let said = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      said += d.toString();
      if (said.includes('waiting for OCSP client connections')) resolve();
    });
    child.on('exit', () => reject(new Error(`openssl ocsp exited: ${said}`)));
  });
  return child;
}

test('CRL file: PEM blocks of several issuers, DER, empty; serials compared as numbers', { skip }, () => {
  const crls = parseCrlFile(pki.read('crl.pem'));
  assert.equal(crls.length, 2);
  assert.deepEqual(
    [...crls[0]!.revoked].sort(),
    [cert('bouncer_rev').serialNumber, cert('agent_rev').serialNumber, cert('ocsp_rev').serialNumber]
      .map((s) => s.replace(/^0+/, ''))
      .sort(),
  );
  assert.deepEqual([...crls[1]!.revoked], [cert('inter_rev').serialNumber.replace(/^0+/, '')]);
  const der = Buffer.from(readFileSync(pki.path('inter.crl'), 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
  assert.deepEqual(parseCrlFile(der)[0]!.revoked, crls[0]!.revoked);
  assert.deepEqual(parseCrlFile(Buffer.from('\n')), []);
  assert.throws(() => parseCrlFile(Buffer.from('garbage')), /^Error: could not parse file: /);
});

test('TlsAuth: a CRL only counts for the certificates its signer issued; the cache keys on (serial, issuer)', { skip }, async () => {
  const auth = new TlsAuth(settings({ crlPath: pki.path('crl.pem') }), silent);
  assert.deepEqual(await auth.validate(peer('bouncer'), 'bouncer'), { cn: 'fw01' });
  assert.deepEqual(await auth.validate(peer('bouncer_rev'), 'bouncer'), { error: 'certificate revoked by CRL' });
  assert.deepEqual(await auth.validate(peer('bouncer_rev'), 'bouncer'), { error: '(cache) certificate revoked by CRL' });
  // the root's CRL revokes inter_rev; a leaf under it is refused on the intermediate's link
  const underRevoked = peer('leaf_inter_rev');
  underRevoked.chain = [underRevoked.leaf, cert('inter_rev'), cert('root')];
  assert.deepEqual(await auth.validate(underRevoked, 'bouncer'), { error: 'certificate revoked by CRL' });
  // the root and the intermediate both issue serial 1000 and up: the same serial of another issuer is another certificate
  assert.equal(cert('by_root').serialNumber, cert('bouncer_rev').serialNumber);
  const byRoot = peer('by_root');
  byRoot.chain = [byRoot.leaf, cert('root')];
  assert.deepEqual(await auth.validate(byRoot, 'bouncer'), { cn: 'by-root' });
  assert.deepEqual(await auth.validate({ ...peer('bouncer'), chain: undefined }, 'bouncer'), { error: 'no verified cert in request' });
});

test('TlsAuth: a changed CRL file is read again (at most every 5 s) and empties the cache; a broken one is ignored', { skip }, async () => {
  let now = Date.now();
  const crl = pki.path('reload.crl');
  writeFileSync(crl, '');
  const auth = new TlsAuth(settings({ crlPath: crl }), silent, () => now);
  assert.deepEqual(await auth.validate(peer('agent_rev'), 'agent'), { cn: 'web-revoked' });
  copyFileSync(pki.path('crl.pem'), crl);
  now += 1000;
  assert.deepEqual(await auth.validate(peer('agent_rev'), 'agent'), { cn: 'web-revoked' }, 'looked at the file 1 s ago');
  now += 5000;
  assert.deepEqual(await auth.validate(peer('agent_rev'), 'agent'), { error: 'certificate revoked by CRL' });
  writeFileSync(crl, '-----BEGIN X509 CRL-----\nnot a crl\n-----END X509 CRL-----\n');
  now += 5000;
  assert.deepEqual(await auth.validate(peer('agent_rev'), 'agent'), { error: '(cache) certificate revoked by CRL' });
  // the cache lives cache_expiration
  now += 3_600_001;
  assert.deepEqual(await auth.validate(peer('agent_rev'), 'agent'), { error: 'certificate revoked by CRL' });
});

test('OCSP: good and revoked answers; no answer refuses the certificate without caching it (fail-closed)', { skip }, async () => {
  assert.deepEqual(ocspUrls(cert('ocsp_good')), [`http://127.0.0.1:${ocspPort}`]);
  assert.deepEqual(ocspUrls(cert('bouncer')), []);
  const auth = new TlsAuth(settings(), silent);
  const down = { error: 'certificate revocation status unknown: no OCSP responder answered' };
  assert.deepEqual(await auth.validate(peer('ocsp_good'), 'bouncer'), down);
  assert.deepEqual(await auth.validate(peer('ocsp_good'), 'bouncer'), down, 'not cached: asked again');
  const r = await responder(ocspPort);
  assert.deepEqual(await auth.validate(peer('ocsp_good'), 'bouncer'), { cn: 'ocsp-good' });
  assert.deepEqual(await auth.validate(peer('ocsp_rev'), 'bouncer'), { error: 'certificate revoked by OCSP' });
  assert.deepEqual(await auth.validate(peer('ocsp_rev'), 'agent'), { error: '(cache) certificate revoked by OCSP' });
  r.kill();
  // a good answer is remembered for cache_expiration: a responder outage does not lock out clients seen recently
  assert.deepEqual(await auth.validate(peer('ocsp_good'), 'bouncer'), { cn: 'ocsp-good' });
  // without OCSP URLs, nothing is asked
  assert.deepEqual(await auth.validate(peer('bouncer'), 'bouncer'), { cn: 'fw01' });
});

test('OCSP responses: a delegated responder is accepted, a response about another certificate or badly signed is not', {
  skip,
}, async () => {
  const port = await freePort();
  await responder(port, 'ocsp_signer');
  const url = `http://127.0.0.1:${port}`;
  const [good, revoked, inter] = [cert('ocsp_good'), cert('ocsp_rev'), cert('inter')];
  const answer = await postOcsp(url, ocspRequest(good, inter));
  assert.equal(parseOcspResponse(answer, good, inter), 'good');
  assert.equal(parseOcspResponse(await postOcsp(url, ocspRequest(revoked, inter)), revoked, inter), 'revoked');
  assert.throws(() => parseOcspResponse(answer, revoked, inter), { message: 'OCSP response does not cover the certificate' });
  assert.throws(() => parseOcspResponse(answer, good, cert('rogue')), { message: 'OCSP response signature does not verify' });
  assert.throws(() => parseOcspResponse(answer, good, inter, Date.now() + 3_600_000), { message: 'OCSP response is stale' });
  const tampered = Buffer.from(answer);
  tampered[tampered.length - 300]! ^= 1;
  assert.throws(() => parseOcspResponse(tampered, good, inter));
  // ocspStatus: an unusable answer is no answer
  assert.equal(await ocspStatus(good, inter, silent, async () => Buffer.from('not der')), 'no-answer');
  assert.equal(await ocspStatus(good, inter, silent, async () => Promise.reject(new Error('down'))), 'no-answer');
  assert.equal(await ocspStatus(good, inter, silent, (_u, body) => postOcsp(url, body)), 'good');
  assert.equal(await ocspStatus(cert('bouncer'), inter, silent), 'no-ocsp');
});
