import { constants, verify, type KeyObject } from 'node:crypto';
import { InvalidValueError } from '../errors.js';

/**
 * The little DER Lapis needs for client-certificate revocation (CRLs, OCSP): a TLV reader, a few
 * writers, times and signature checks. Node parses certificates itself (X509Certificate); it has no
 * API for CRLs or OCSP, and a dependency for two structures was not worth it.
 */

export class DerError extends InvalidValueError {
  override name = 'DerError';
}

/** One element: `tag` byte, where its header starts, where its content starts, where it ends. */
export interface Tlv {
  tag: number;
  start: number;
  body: number;
  end: number;
}

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  SEQUENCE: 0x30,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
} as const;

/** Context-specific tag `[n]`, constructed or not. */
export const ctx = (n: number, constructed = true): number => (constructed ? 0xa0 : 0x80) | n;

/** Reads the element at `pos`; throws DerError when it runs past `limit` or uses an unsupported form. */
export function readTlv(buf: Buffer, pos: number, limit = buf.length): Tlv {
  if (pos + 2 > limit) throw new DerError('truncated element');
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  let len = buf[pos + 1]!;
  let body = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || body + n > limit) throw new DerError('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[body + i]!;
    body += n;
  }
  const end = body + len;
  if (end > limit) throw new DerError('truncated element');
  return { tag, start: pos, body, end };
}

/** The elements inside a constructed one. */
export function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let pos = parent.body; pos < parent.end; ) {
    const t = readTlv(buf, pos, parent.end);
    out.push(t);
    pos = t.end;
  }
  return out;
}

/** Checks a tag and returns the element, or throws DerError naming what was expected. */
export function expect(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new DerError(`expected ${what}`);
  return t;
}

export const contentOf = (buf: Buffer, t: Tlv): Buffer => buf.subarray(t.body, t.end);
export const wholeOf = (buf: Buffer, t: Tlv): Buffer => buf.subarray(t.start, t.end);

/** A BIT STRING's bits (whole bytes: the unused-bits count must be 0). */
export function bitString(buf: Buffer, t: Tlv): Buffer {
  expect(t, TAG.BIT_STRING, 'a bit string');
  if (buf[t.body] !== 0) throw new DerError('bit string with unused bits');
  return buf.subarray(t.body + 1, t.end);
}

export function oidOf(buf: Buffer, t: Tlv): string {
  const b = contentOf(buf, expect(t, TAG.OID, 'an object identifier'));
  if (b.length === 0) throw new DerError('empty object identifier');
  const parts = [Math.min(2, Math.floor(b[0]! / 40)), b[0]! - 40 * Math.min(2, Math.floor(b[0]! / 40))];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** An INTEGER as uppercase hex without leading zeros: the form serial numbers are compared in. */
export function integerHex(buf: Buffer, t: Tlv): string {
  return normalizeSerial(contentOf(buf, expect(t, TAG.INTEGER, 'an integer')).toString('hex'));
}

export function normalizeSerial(hex: string): string {
  return hex.toUpperCase().replace(/^0+(?=.)/, '');
}

/** UTCTime or GeneralizedTime, in epoch milliseconds. */
export function timeOf(buf: Buffer, t: Tlv): number {
  const s = contentOf(buf, t).toString('latin1');
  let m: RegExpExecArray | null;
  if (t.tag === TAG.UTC_TIME && (m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s))) {
    const yy = Number(m[1]);
    return Date.UTC(yy < 50 ? 2000 + yy : 1900 + yy, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  if (t.tag === TAG.GENERALIZED_TIME && (m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.\d+)?Z$/.exec(s))) {
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  throw new DerError('bad time');
}

export const isTime = (t: Tlv | undefined): boolean => t?.tag === TAG.UTC_TIME || t?.tag === TAG.GENERALIZED_TIME;

/** Encodes one element. */
export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  let header: number[];
  if (n < 0x80) header = [tag, n];
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    header = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from(header), body]);
}

export function encodeOid(oid: string): Buffer {
  const [a, b, ...rest] = oid.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const v of rest) {
    const groups = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) groups.unshift((x & 0x7f) | 0x80);
    out.push(...groups);
  }
  return tlv(TAG.OID, Buffer.from(out));
}

export const OID = {
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  rsaPss: '1.2.840.113549.1.1.10',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
} as const;

export const HASH_BY_OID: Record<string, string> = {
  [OID.sha1]: 'sha1',
  [OID.sha224]: 'sha224',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};

/** Signature algorithms by OID: the digest to use, or null for the EdDSA ones. */
const SIGNATURE_ALGORITHMS: Record<string, string | null> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null,
  '1.3.101.113': null,
};

/** A signature algorithm (an AlgorithmIdentifier) ready for crypto.verify. */
export interface SignatureAlgorithm {
  digest: string | null;
  pss?: { saltLength: number };
}

/** Reads an AlgorithmIdentifier; throws DerError for an algorithm Lapis cannot check. */
export function signatureAlgorithm(buf: Buffer, alg: Tlv): SignatureAlgorithm {
  const [oidTlv, params] = children(buf, expect(alg, TAG.SEQUENCE, 'an algorithm identifier'));
  const oid = oidOf(buf, oidTlv!);
  if (Object.hasOwn(SIGNATURE_ALGORITHMS, oid)) return { digest: SIGNATURE_ALGORITHMS[oid]! };
  if (oid !== OID.rsaPss) throw new DerError(`unsupported signature algorithm ${oid}`);
  // RSASSA-PSS-params: [0] hash (default SHA-1), [1] mask generation (MGF1 over the same hash), [2] salt length (default 20)
  let digest = 'sha1';
  let saltLength = 20;
  for (const p of params ? children(buf, expect(params, TAG.SEQUENCE, 'PSS parameters')) : []) {
    if (p.tag === ctx(0)) {
      const [hashAlg] = children(buf, p);
      const [hashOid] = children(buf, expect(hashAlg, TAG.SEQUENCE, 'a hash algorithm'));
      const h = HASH_BY_OID[oidOf(buf, hashOid!)];
      if (!h) throw new DerError('unsupported PSS hash');
      digest = h;
    } else if (p.tag === ctx(2)) {
      const [n] = children(buf, p);
      saltLength = parseInt(contentOf(buf, expect(n, TAG.INTEGER, 'a salt length')).toString('hex'), 16);
    }
  }
  return { digest, pss: { saltLength } };
}

/** Whether `signature` over `data` verifies with `key`. Never throws: a key of the wrong type is a mismatch. */
export function verifySignature(alg: SignatureAlgorithm, data: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    const k = alg.pss ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.pss.saltLength } : key;
    return verify(alg.digest, data, k, signature);
  } catch {
    return false;
  }
}

/** The parts of a certificate OCSP needs: its serial (INTEGER element), issuer and subject names, key bits. */
export interface CertParts {
  serial: Buffer;
  issuer: Buffer;
  subject: Buffer;
  publicKeyBits: Buffer;
}

export function certParts(raw: Buffer): CertParts {
  const [tbs] = children(raw, expect(readTlv(raw, 0), TAG.SEQUENCE, 'a certificate'));
  const f = children(raw, expect(tbs, TAG.SEQUENCE, 'a tbsCertificate'));
  const i = f[0]?.tag === ctx(0) ? 1 : 0;
  const spki = children(raw, expect(f[i + 5], TAG.SEQUENCE, 'a subject public key info'));
  return {
    serial: wholeOf(raw, expect(f[i], TAG.INTEGER, 'a serial number')),
    issuer: wholeOf(raw, expect(f[i + 2], TAG.SEQUENCE, 'an issuer name')),
    subject: wholeOf(raw, expect(f[i + 4], TAG.SEQUENCE, 'a subject name')),
    publicKeyBits: bitString(raw, spki[1]!),
  };
}

/** PEM blocks of the given label (or of any label), decoded. */
export function pemBlocks(text: string, label?: string): { label: string; der: Buffer }[] {
  const out: { label: string; der: Buffer }[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (label === undefined || m[1] === label) out.push({ label: m[1]!, der: Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64') });
  }
  return out;
}
