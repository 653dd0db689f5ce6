import { constants, type KeyObject, verify } from 'node:crypto';
import * as asn1js from 'asn1js';
import { type AlgorithmIdentifier, Certificate, RSASSAPSSParams } from 'pkijs';
import { InvalidValueError } from '../errors.js';

/**
 * What the revocation checks (CRLs, OCSP) share: decoding with asn1js into pkijs's named X.509
 * structures, the DER strictness those libraries leave to the caller, and signature checks with
 * node:crypto (which also verifies the chains; it has no API for CRLs or OCSP).
 */

export class DerError extends InvalidValueError {
  override name = 'DerError';
}

/**
 * Decodes exactly one DER element filling `der`. Throws DerError on malformed or trailing bytes, on BER
 * forms DER forbids (indefinite lengths) and on times not in the UTC `Z` form RFC 5280 and 6960 require.
 */
export function decodeDer(der: Uint8Array, what: string): asn1js.BaseBlock {
  const { offset, result } = asn1js.fromBER(der);
  if (offset === -1) throw new DerError(`malformed ${what}: ${result.error}`);
  if (offset !== der.length) throw new DerError(`trailing data after the ${what}`);
  checkDerForms(result);
  return result;
}

const UTC_TIME = /^\d{12}Z$/;
const GENERALIZED_TIME = /^\d{14}(?:\.\d+)?Z$/;

function checkDerForms(node: asn1js.BaseBlock): void {
  if (node.lenBlock.isIndefiniteForm) throw new DerError('indefinite length (BER, not DER)');
  if (node instanceof asn1js.UTCTime || node instanceof asn1js.GeneralizedTime) {
    const re = node instanceof asn1js.GeneralizedTime ? GENERALIZED_TIME : UTC_TIME; // (a subclass of UTCTime in asn1js)
    // the encoded text: asn1js reads other forms too (local times, offsets), some of them wrongly
    const text = Buffer.from(node.valueBlock.valueHexView).toString('latin1');
    if (!re.test(text)) throw new DerError(`bad time ${JSON.stringify(text)}`);
  }
  const children = (node.valueBlock as { value?: unknown }).value;
  if (node.idBlock.isConstructed && Array.isArray(children)) for (const c of children) checkDerForms(c as asn1js.BaseBlock);
}

/** Builds a pkijs structure from a decoded element; its schema mismatch becomes a DerError naming `what`. */
export function asStructure<T>(what: string, build: () => T): T {
  try {
    return build();
  } catch (err) {
    throw new DerError(`expected ${what}: ${(err as Error).message}`);
  }
}

/** A time as epoch milliseconds, whole seconds as the DER forms Lapis reads (fractions are dropped). */
export const epochSeconds = (d: Date): number => Math.floor(d.getTime() / 1000) * 1000;

/** One element's header: its universal/context tag, where it starts, where its content starts, where it ends. */
export interface ElementSpan {
  tagClass: number;
  tagNumber: number;
  constructed: boolean;
  start: number;
  body: number;
  end: number;
}

/** asn1js tag classes. */
export const UNIVERSAL = 1;
export const CONTEXT = 3;

/**
 * Reads elements as spans of `bytes` with asn1js's identifier and length decoders only: nothing inside
 * them is decoded. For lists too long to decode into objects (a CRL's revoked entries: asn1js takes
 * ~10 KB and ~0.1 ms per entry). Throws DerError on a bad header or an overrun.
 */
export class SpanReader {
  private readonly header = new asn1js.BaseBlock();

  constructor(readonly bytes: Uint8Array) {}

  /** The element starting at `pos`, which must end by `limit`. */
  at(pos: number, limit: number): ElementSpan {
    const { idBlock, lenBlock } = this.header;
    const afterId = idBlock.fromBER(this.bytes, pos, limit - pos);
    if (afterId === -1 || idBlock.isHexOnly) throw new DerError(`bad tag: ${idBlock.error || 'too long'}`);
    const body = lenBlock.fromBER(this.bytes, afterId, limit - afterId);
    if (body === -1) throw new DerError(`bad length: ${lenBlock.error}`);
    if (lenBlock.isIndefiniteForm) throw new DerError('indefinite length (BER, not DER)');
    const end = body + lenBlock.length;
    if (end > limit) throw new DerError('truncated element');
    return { tagClass: idBlock.tagClass, tagNumber: idBlock.tagNumber, constructed: idBlock.isConstructed, start: pos, body, end };
  }

  /** The elements filling `[from, to)`. */
  *within(from = 0, to = this.bytes.length): Generator<ElementSpan> {
    for (let pos = from; pos < to; ) {
      const span = this.at(pos, to);
      yield span;
      pos = span.end;
    }
  }

  /** The elements inside a constructed one. */
  children(parent: ElementSpan): Generator<ElementSpan> {
    return this.within(parent.body, parent.end);
  }

  /** The element's whole encoding. */
  whole(span: ElementSpan): Uint8Array {
    return this.bytes.subarray(span.start, span.end);
  }
}

export const isUniversal = (s: ElementSpan | undefined, tagNumber: number): s is ElementSpan =>
  s?.tagClass === UNIVERSAL && s.tagNumber === tagNumber;

/** Universal tag numbers, as asn1js reports them. */
export const UNIVERSAL_TAG = { INTEGER: 2, SEQUENCE: 16 } as const;

/** Serial numbers are compared as uppercase hex without leading zeros (X509Certificate's form, less its zeros). */
export function normalizeSerial(hex: string): string {
  return hex.toUpperCase().replace(/^0+(?=.)/, '');
}

export const OID = {
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  rsaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
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

/** A signature algorithm ready for crypto.verify. */
export interface SignatureAlgorithm {
  digest: string | null;
  pss?: { saltLength: number };
}

/** Reads an AlgorithmIdentifier; throws DerError for an algorithm Lapis cannot check. */
export function signatureAlgorithm(alg: AlgorithmIdentifier): SignatureAlgorithm {
  const oid = alg.algorithmId;
  if (Object.hasOwn(SIGNATURE_ALGORITHMS, oid)) return { digest: SIGNATURE_ALGORITHMS[oid]! };
  if (oid !== OID.rsaPss) throw new DerError(`unsupported signature algorithm ${oid}`);
  // RSASSA-PSS-params (RFC 4055): every field has a default (SHA-1, MGF1 over SHA-1, salt 20)
  const params = asStructure('PSS parameters', () =>
    alg.algorithmParams instanceof asn1js.Sequence ? new RSASSAPSSParams({ schema: alg.algorithmParams }) : new RSASSAPSSParams(),
  );
  const digest = HASH_BY_OID[params.hashAlgorithm.algorithmId];
  if (!digest) throw new DerError('unsupported PSS hash');
  return { digest, pss: { saltLength: params.saltLength } };
}

/** The algorithm and signature bits of a signed structure; a BIT STRING with unused bits is no signature. */
export function signatureOf(alg: AlgorithmIdentifier, bits: asn1js.BitString): { algorithm: SignatureAlgorithm; signature: Buffer } {
  if (bits.valueBlock.unusedBits !== 0) throw new DerError('bit string with unused bits');
  return { algorithm: signatureAlgorithm(alg), signature: Buffer.from(bits.valueBlock.valueHexView) };
}

/** Whether `signature` over `data` verifies with `key`. Never throws: a key of the wrong type is a mismatch. */
export function verifySignature(alg: SignatureAlgorithm, data: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  try {
    const k = alg.pss ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.pss.saltLength } : key;
    return verify(alg.digest, data, k, signature);
  } catch {
    return false;
  }
}

/** The parts of a certificate OCSP needs: its serial, its subject name's DER, its public key's bits. */
export interface CertParts {
  serial: asn1js.Integer;
  subject: Buffer;
  publicKeyBits: Buffer;
}

export function certParts(raw: Uint8Array): CertParts {
  const tree = decodeDer(raw, 'certificate');
  const cert = asStructure('a certificate', () => new Certificate({ schema: tree }));
  return {
    serial: cert.serialNumber,
    subject: Buffer.from(cert.subject.valueBeforeDecode),
    publicKeyBits: Buffer.from(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView),
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

/** Identifier octets, for tls.ts's OpenSSL trust mark (the only DER Lapis writes by hand). */
export const TAG = { SEQUENCE: 0x30 } as const;

/** Encodes one element of a one-byte tag. */
export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const size: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) size.unshift(v & 0xff);
  const header = n < 0x80 ? [tag, n] : [tag, 0x80 | size.length, ...size];
  return Buffer.concat([Buffer.from(header), body]);
}

export function encodeOid(oid: string): Buffer {
  return Buffer.from(new asn1js.ObjectIdentifier({ value: oid }).toBER());
}
