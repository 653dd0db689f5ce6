import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import * as asn1js from 'asn1js';
import { pino } from 'pino';
import { CrlChecker, parseCrl, parseCrlFile } from '../../src/auth/tls-crl.js';
import { signatureAlgorithm } from '../../src/auth/tls-der.js';
import { ocspRequest, parseOcspResponse } from '../../src/auth/tls-ocsp.js';
import { AlgorithmIdentifier, RSASSAPSSParams } from 'pkijs';
import { hasOpenssl, type Pki } from '../helpers/pki.js';
import { filePki } from '../helpers/tls.js';

// The parsers on their own, fed malformed and forged inputs: each must be refused (a throw, or a CRL
// that does not count), as the hand-written parser they replaced refused them.

const skip = !hasOpenssl && 'no openssl';
const silent = pino({ level: 'silent' });
const pki: Pki = hasOpenssl ? filePki({ ocspUrl: 'http://127.0.0.1:1' }) : (undefined as never);
const cert = (name: string) => new X509Certificate(pki.read(`${name}.pem`));
const pemToDer = (text: string) => Buffer.from(text.replace(/-----[^-]+-----|\s/g, ''), 'base64');
const interCrl = () => pemToDer(readFileSync(pki.path('inter.crl'), 'utf8'));
const serialOf = (name: string) => cert(name).serialNumber.replace(/^0+/, '');

/** The CRL with `edit` applied to its decoded tree, re-encoded (the signature is left as it was). */
function editCrl(edit: (tbsFields: asn1js.BaseBlock[], top: asn1js.Sequence) => void): Buffer {
  const top = asn1js.fromBER(interCrl()).result as asn1js.Sequence;
  edit((top.valueBlock.value[0] as asn1js.Sequence).valueBlock.value, top);
  return Buffer.from(top.toBER());
}

/** A CertificateList over `tbs`, signed by the key in `keyFile` (ECDSA with SHA-256, as the test PKI). */
function signCrl(tbs: Buffer, keyFile: string): Buffer {
  const signature = sign('sha256', tbs, createPrivateKey(pki.read(keyFile)));
  const alg = new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '1.2.840.10045.4.3.2' })] });
  const top = new asn1js.Sequence({ value: [asn1js.fromBER(tbs).result, alg, new asn1js.BitString({ valueHex: signature })] });
  return Buffer.from(top.toBER());
}

function checkerOn(content: Buffer): CrlChecker {
  const path = pki.path(`check-${Math.random().toString(36).slice(2)}.crl`);
  writeFileSync(path, content);
  return new CrlChecker(path, () => {}, silent);
}

test('CRL: a well-formed CRL yields its serials, times and signed bytes', { skip }, () => {
  const crl = parseCrl(interCrl());
  assert.deepEqual([...crl.revoked].sort(), [serialOf('agent_rev'), serialOf('bouncer_rev'), serialOf('ocsp_rev')].sort());
  assert.ok(crl.thisUpdate <= Date.now() && crl.nextUpdate! > Date.now());
  assert.equal(crl.algorithm.digest, 'sha256');
});

test('CRL: an empty revoked list, which RFC 5280 says to omit, is read as none', { skip }, () => {
  assert.equal(parseCrl(editCrl((f) => f.splice(5, 1, new asn1js.Sequence()))).revoked.size, 0);
  assert.equal(parseCrl(editCrl((f) => f.splice(5, 1))).revoked.size, 0);
});

test('CRL: malformed DER is refused', { skip }, () => {
  const der = interCrl();
  const tbsLength = (asn1js.fromBER(der).result as asn1js.Sequence).valueBlock.value[0]!.valueBeforeDecodeView.length;
  const cases: [string, Buffer][] = [
    ['truncated', der.subarray(0, der.length - 10)],
    ['cut inside the header', der.subarray(0, 3)],
    ['trailing data', Buffer.concat([der, Buffer.from([0x05, 0x00])])],
    ['not a SEQUENCE', Buffer.from([0x31, 0x00])],
    ['indefinite length', Buffer.concat([Buffer.from([0x30, 0x80]), der.subarray(4), Buffer.from([0, 0])])],
    ['an extra element at the end of tbsCertList', editCrl((f) => f.push(new asn1js.Integer({ value: 7 })))],
    ['an extra element between the times', editCrl((f) => f.splice(4, 0, new asn1js.Integer({ value: 7 })))],
    ['no times', editCrl((f) => f.splice(3, 2))],
    ['a local-time thisUpdate', editCrl((f) => f.splice(3, 1, new asn1js.GeneralizedTime({ value: '20250101000000' })))],
    ['an entry without a serial', editCrl((f) => f.splice(5, 1, new asn1js.Sequence({ value: [new asn1js.Sequence()] })))],
    [
      'a later entry without a serial',
      editCrl((f) => (f[5] as asn1js.Sequence).valueBlock.value.push(new asn1js.Sequence({ value: [new asn1js.Null()] }))),
    ],
    ['two revoked lists', editCrl((f) => f.splice(5, 0, f[5]!))],
    ['no signature', editCrl((_, top) => top.valueBlock.value.pop())],
    ['a signature with unused bits', editCrl((_, top) => ((top.valueBlock.value[2] as asn1js.BitString).valueBlock.unusedBits = 1))],
    [
      'an unknown signature algorithm',
      editCrl((_, top) =>
        top.valueBlock.value.splice(1, 1, new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '1.2.3.4' })] })),
      ),
    ],
  ];
  assert.ok(tbsLength > 100);
  for (const [what, bytes] of cases) assert.throws(() => parseCrl(bytes), { name: 'DerError' }, what);
  assert.throws(
    () => parseCrlFile(Buffer.from(`-----BEGIN X509 CRL-----\n${der.subarray(0, 50).toString('base64')}\n-----END X509 CRL-----\n`)),
    {
      message: /^could not parse file: /,
    },
  );
});

test('CRL: only a CRL whose signature verifies with the issuer CA key counts', { skip }, () => {
  const [leaf, inter] = [cert('bouncer_rev'), cert('inter')];
  const tbs = Buffer.from((asn1js.fromBER(interCrl()).result as asn1js.Sequence).valueBlock.value[0]!.valueBeforeDecodeView);
  assert.equal(checkerOn(signCrl(tbs, 'inter-key.pem')).isRevokedBy(leaf, inter), true, 're-signed with the real key');
  // the intermediate's name on a rogue key (fake_inter), and the rogue CA itself: not the issuer's key
  assert.equal(checkerOn(signCrl(tbs, 'fake_inter-key.pem')).isRevokedBy(leaf, inter), false);
  assert.equal(checkerOn(interCrl()).isRevokedBy(leaf, cert('rogue')), false, 'another issuer');
  // one bit of the revoked list changed: the signature no longer covers it
  const tampered = editCrl((f) => {
    const entries = f[5] as asn1js.Sequence;
    const serial = (entries.valueBlock.value[0] as asn1js.Sequence).valueBlock.value[0] as asn1js.Integer;
    entries.valueBlock.value[0] = new asn1js.Sequence({
      value: [
        new asn1js.Integer({ valueHex: serial.valueBlock.valueHexView.map((b, i) => (i === 1 ? b ^ 1 : b)) }),
        new asn1js.UTCTime({ valueDate: new Date() }),
      ],
    });
  });
  assert.equal(parseCrl(tampered).revoked.size, 3);
  assert.equal(checkerOn(tampered).isRevokedBy(cert('agent_rev'), inter) || checkerOn(tampered).isRevokedBy(leaf, inter), false);
});

test('signature algorithms: RSASSA-PSS parameters are read, defaults included; others refused', () => {
  const pss = (params?: RSASSAPSSParams) =>
    new AlgorithmIdentifier({ algorithmId: '1.2.840.113549.1.1.10', ...(params ? { algorithmParams: params.toSchema() } : {}) });
  const sha256 = new AlgorithmIdentifier({ algorithmId: '2.16.840.1.101.3.4.2.1', algorithmParams: new asn1js.Null() });
  assert.deepEqual(signatureAlgorithm(pss(new RSASSAPSSParams({ hashAlgorithm: sha256, saltLength: 32 }))), {
    digest: 'sha256',
    pss: { saltLength: 32 },
  });
  assert.deepEqual(signatureAlgorithm(pss()), { digest: 'sha1', pss: { saltLength: 20 } });
  assert.deepEqual(signatureAlgorithm(new AlgorithmIdentifier({ algorithmId: '1.3.101.112' })), { digest: null });
  const md5 = new AlgorithmIdentifier({ algorithmId: '1.2.840.113549.2.5' });
  assert.throws(() => signatureAlgorithm(pss(new RSASSAPSSParams({ hashAlgorithm: md5 }))), { message: 'unsupported PSS hash' });
  assert.throws(() => signatureAlgorithm(md5), { name: 'DerError' });
});

/** `openssl ocsp` run once, offline: the request it would send, or the response a responder would give. */
function openssl(args: string[]): Buffer {
  const out = pki.path(`ocsp-${Math.random().toString(36).slice(2)}.der`);
  execFileSync('openssl', ['ocsp', ...args, args.includes('-reqin') ? '-respout' : '-reqout', out], { stdio: 'ignore' });
  return readFileSync(out);
}

function respond(leaf: string, signer: string): Buffer {
  const req = pki.path(`${leaf}.ocsp-req`);
  writeFileSync(req, ocspRequest(cert(leaf), cert('inter')));
  const index = pki.path('inter/index.txt');
  return openssl([
    '-index',
    index,
    '-rsigner',
    pki.path(`${signer}.pem`),
    '-rkey',
    pki.path(`${signer}-key.pem`),
    '-CA',
    pki.path('inter.pem'),
    '-reqin',
    req,
    '-nmin',
    '5',
  ]);
}

test('OCSP request: the bytes openssl sends for a SHA-256 CertID without a nonce', { skip }, () => {
  const expected = openssl(['-issuer', pki.path('inter.pem'), '-sha256', '-cert', pki.path('ocsp_good.pem'), '-no_nonce']);
  assert.equal(ocspRequest(cert('ocsp_good'), cert('inter')).toString('hex'), expected.toString('hex'));
});

test('OCSP response: malformed, unsuccessful, forged or delegated without OCSP signing are refused', { skip }, () => {
  const [good, inter] = [cert('ocsp_good'), cert('inter')];
  const answer = respond('ocsp_good', 'inter');
  assert.equal(parseOcspResponse(answer, good, inter), 'good');
  assert.equal(parseOcspResponse(respond('ocsp_rev', 'inter'), cert('ocsp_rev'), inter), 'revoked');
  assert.equal(parseOcspResponse(respond('ocsp_good', 'ocsp_signer'), good, inter), 'good', 'a delegated responder');
  const refused: [string, Buffer, RegExp][] = [
    ['truncated', answer.subarray(0, answer.length - 1), /^malformed OCSP response/],
    ['trailing data', Buffer.concat([answer, Buffer.from([0])]), /^trailing data/],
    ['unsuccessful', Buffer.from('30030a0101', 'hex'), /^OCSP responder answered status 1$/],
    ['successful without bytes', Buffer.from('30030a0100', 'hex'), /^expected response bytes$/],
    ['signed by a rogue CA', respond('ocsp_good', 'rogue'), /^OCSP response signature does not verify$/],
    ['signed by a leaf without id-kp-OCSPSigning', respond('ocsp_good', 'bouncer'), /^OCSP response signature does not verify$/],
    ['signed by the forged intermediate', respond('ocsp_good', 'fake_inter'), /^OCSP response signature does not verify$/],
  ];
  for (const [what, bytes, message] of refused)
    assert.throws(() => parseOcspResponse(bytes, good, inter), { name: 'DerError', message }, what);
});
