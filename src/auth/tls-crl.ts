import type { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import * as asn1js from 'asn1js';
import type { FastifyBaseLogger } from 'fastify';
import { CertificateRevocationList } from 'pkijs';
import {
  asStructure,
  DerError,
  decodeDer,
  type ElementSpan,
  epochSeconds,
  isUniversal,
  normalizeSerial,
  pemBlocks,
  type SignatureAlgorithm,
  SpanReader,
  signatureOf,
  UNIVERSAL_TAG,
  verifySignature,
} from './tls-der.js';

/** One parsed CRL: what was signed, how, and the serials it revokes. */
export interface Crl {
  tbs: Uint8Array;
  algorithm: SignatureAlgorithm;
  signature: Buffer;
  thisUpdate: number;
  nextUpdate: number | undefined;
  revoked: Set<string>;
}

/**
 * Parses one DER CertificateList (RFC 5280 §5.1). Throws DerError.
 *
 * pkijs reads and checks the structure, except the revoked entries: decoded into asn1js objects, a CRL
 * of 100,000 entries takes seconds and a gigabyte (docs/performance.md, "CRL load"). So the entries
 * are walked as spans and their serials read as hex; pkijs sees the list cut to its first entry.
 */
export function parseCrl(der: Uint8Array): Crl {
  const r = new SpanReader(der);
  const top = r.at(0, der.length);
  if (!isUniversal(top, UNIVERSAL_TAG.SEQUENCE)) throw new DerError('expected a certificate list');
  if (top.end !== der.length) throw new DerError('trailing data after the CRL');
  const [tbs, ...signed] = r.children(top);
  if (!isUniversal(tbs, UNIVERSAL_TAG.SEQUENCE)) throw new DerError('expected a tbsCertList');
  const fields = [...r.children(tbs)];
  const entries = fields.find((f) => isRevokedList(r, f));
  // in place of the entries, pkijs sees the first one only: it checks its shape and names the list
  const decode = (f: ElementSpan) =>
    f === entries
      ? new asn1js.Sequence({ value: [decodeDer(r.whole(r.at(f.body, f.end)), 'CRL entry')] })
      : decodeDer(r.whole(f), 'CRL field');
  if (signed.length !== 2) throw new DerError('expected a signature algorithm and a signature');
  const shell = new asn1js.Sequence({ value: [new asn1js.Sequence({ value: fields.map(decode) }), ...signed.map(decode)] });
  const crl = asStructure('a certificate list', () => new CertificateRevocationList({ schema: shell }));
  // pkijs's schema match skips the optional fields it cannot place and ignores what follows them: every
  // field must be one it named. It leaves an empty revoked list (`SEQUENCE {}`, which RFC 5280 says to omit) unnamed.
  const emptyLists =
    fields.filter((f) => isUniversal(f, UNIVERSAL_TAG.SEQUENCE) && f.body === f.end).length -
    (crl.issuer.typesAndValues.length === 0 ? 1 : 0);
  const version = isUniversal(fields[0], UNIVERSAL_TAG.INTEGER);
  const named = [
    version,
    crl.signature,
    crl.issuer,
    crl.thisUpdate,
    crl.nextUpdate,
    crl.revokedCertificates ?? emptyLists > 0,
    crl.crlExtensions,
  ];
  if (named.filter(Boolean).length !== fields.length) throw new DerError('unexpected element in tbsCertList');
  return {
    tbs: r.whole(tbs),
    ...signatureOf(crl.signatureAlgorithm, crl.signatureValue),
    thisUpdate: epochSeconds(crl.thisUpdate.value),
    nextUpdate: crl.nextUpdate && epochSeconds(crl.nextUpdate.value),
    revoked: entries ? revokedSerials(r, entries) : new Set(),
  };
}

/**
 * Whether a tbsCertList field is revokedCertificates: of its fields, the only SEQUENCE whose elements are
 * SEQUENCEs (an AlgorithmIdentifier starts with an OID, a Name holds SETs). An empty list is decoded whole.
 */
function isRevokedList(r: SpanReader, field: ElementSpan): boolean {
  if (!isUniversal(field, UNIVERSAL_TAG.SEQUENCE) || field.body === field.end) return false;
  return isUniversal(r.at(field.body, field.end), UNIVERSAL_TAG.SEQUENCE);
}

/** The serials of revokedCertificates, each entry `SEQUENCE { userCertificate INTEGER, revocationDate, … }`. */
function revokedSerials(r: SpanReader, list: ElementSpan): Set<string> {
  const bytes = Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.length);
  const out = new Set<string>();
  for (const entry of r.children(list)) {
    const serial = isUniversal(entry, UNIVERSAL_TAG.SEQUENCE) && entry.body < entry.end ? r.at(entry.body, entry.end) : undefined;
    if (!isUniversal(serial, UNIVERSAL_TAG.INTEGER)) throw new DerError('expected a revoked certificate entry');
    out.add(normalizeSerial(bytes.toString('hex', serial.body, serial.end)));
  }
  return out;
}

/**
 * A CRL file's CRLs: every PEM block in it (upstream reads concatenated `X509 CRL` blocks), or the file as
 * one DER CRL when it holds no PEM at all. An empty file holds none. Throws `could not parse file: …`.
 */
export function parseCrlFile(content: Buffer): Crl[] {
  const text = content.toString('latin1');
  const blocks = pemBlocks(text);
  try {
    if (blocks.length > 0) return blocks.map((b) => parseCrl(b.der));
    return text.trim() === '' ? [] : [parseCrl(content)];
  } catch (err) {
    throw new Error(`could not parse file: ${(err as Error).message}`);
  }
}

/** Go's wording (`stat /x: no such file or directory`), which upstream's messages carry. */
function goError(op: string, path: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const why = e.code === 'ENOENT' ? 'no such file or directory' : e.code === 'EACCES' ? 'permission denied' : e.message;
  return `${op} ${path}: ${why}`;
}

/** How often the file is looked at, at most (upstream: 5 s). */
const REFRESH_MS = 5000;

/**
 * `api.server.tls.crl_path`, as upstream's CRLChecker: read at startup (an error fails startup), re-read
 * when its mtime or size changes (looked at no more than every 5 s), and on a later error the previous
 * CRLs stay in use. A successful reload calls `onLoad` (which empties the verification cache).
 */
export class CrlChecker {
  private crls: Crl[] = [];
  private stamp = '';
  private lastLook = 0;
  /** Which issuer (by fingerprint) signed which CRL: a signature is checked once per pair. */
  private signedBy = new Map<Crl, Map<string, boolean>>();

  constructor(
    readonly path: string,
    private readonly onLoad: () => void,
    private readonly log: FastifyBaseLogger,
    private readonly now: () => number = Date.now,
  ) {
    this.load();
  }

  private load(): void {
    let stamp: string;
    try {
      const st = statSync(this.path);
      stamp = `${st.mtimeMs}:${st.size}`;
    } catch (err) {
      throw new Error(`could not access CRL file: ${goError('stat', this.path, err)}`);
    }
    if (stamp === this.stamp) return;
    let content: Buffer;
    try {
      content = readFileSync(this.path);
    } catch (err) {
      throw new Error(`could not read CRL file: ${goError('open', this.path, err)}`);
    }
    this.crls = parseCrlFile(content);
    this.signedBy = new Map();
    this.stamp = stamp;
    this.log.info({ path: this.path, crls: this.crls.length }, 'CRL file loaded');
    this.onLoad();
  }

  /** Re-reads the file if it changed (at most every 5 s). Never throws: a bad file keeps the old CRLs. */
  refresh(): void {
    const t = this.now();
    if (t - this.lastLook < REFRESH_MS) return;
    this.lastLook = t;
    try {
      this.load();
    } catch (err) {
      this.log.error({ err, path: this.path }, 'while refreshing CRL: keeping the CRLs read before');
    }
  }

  /** Whether a CRL signed by `issuer` lists `cert`. A CRL past its nextUpdate still counts, as upstream. */
  isRevokedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
    const serial = normalizeSerial(cert.serialNumber);
    const t = this.now();
    for (const crl of this.crls) {
      if (!this.signs(crl, issuer)) continue;
      if (crl.nextUpdate !== undefined && t > crl.nextUpdate) this.log.warn('CRL has expired, will still validate the cert against it.');
      if (t < crl.thisUpdate) this.log.warn('CRL is not yet valid, will still validate the cert against it.');
      if (crl.revoked.has(serial)) {
        this.log.warn({ serial }, 'client certificate is revoked by CRL');
        return true;
      }
    }
    return false;
  }

  private signs(crl: Crl, issuer: X509Certificate): boolean {
    let seen = this.signedBy.get(crl);
    if (!seen) this.signedBy.set(crl, (seen = new Map()));
    const known = seen.get(issuer.fingerprint256);
    if (known !== undefined) return known;
    // as Go's CheckSignatureFrom: only a CA's key signs CRLs
    const ok = issuer.ca && verifySignature(crl.algorithm, crl.tbs, issuer.publicKey, crl.signature);
    seen.set(issuer.fingerprint256, ok);
    return ok;
  }
}
