import { statSync, readFileSync } from 'node:fs';
import type { X509Certificate } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import {
  DerError,
  children,
  contentOf,
  expect,
  integerHex,
  isTime,
  normalizeSerial,
  pemBlocks,
  readTlv,
  signatureAlgorithm,
  TAG,
  timeOf,
  verifySignature,
  wholeOf,
  ctx,
  type SignatureAlgorithm,
} from './tls-der.js';

/** One parsed CRL: what was signed, how, and the serials it revokes. */
export interface Crl {
  tbs: Buffer;
  algorithm: SignatureAlgorithm;
  signature: Buffer;
  thisUpdate: number;
  nextUpdate: number | undefined;
  revoked: Set<string>;
}

/** Parses one DER CertificateList (RFC 5280 §5.1). Throws DerError. */
export function parseCrl(der: Buffer): Crl {
  const top = expect(readTlv(der, 0), TAG.SEQUENCE, 'a certificate list');
  if (top.end !== der.length) throw new DerError('trailing data after the CRL');
  const [tbsTlv, algTlv, sigTlv] = children(der, top);
  const tbs = children(der, expect(tbsTlv, TAG.SEQUENCE, 'a tbsCertList'));
  let i = tbs[0]?.tag === TAG.INTEGER ? 1 : 0; // version
  i += 2; // signature algorithm, issuer
  const thisUpdateTlv = tbs[i++];
  if (!isTime(thisUpdateTlv)) throw new DerError('expected thisUpdate');
  const nextUpdate = isTime(tbs[i]) ? timeOf(der, tbs[i++]!) : undefined;
  const revoked = new Set<string>();
  if (tbs[i]?.tag === TAG.SEQUENCE) {
    for (const entry of children(der, tbs[i++]!)) {
      const [serial] = children(der, expect(entry, TAG.SEQUENCE, 'a revoked certificate entry'));
      revoked.add(integerHex(der, serial!));
    }
  }
  if (tbs[i] && tbs[i]!.tag !== ctx(0)) throw new DerError('unexpected element in tbsCertList');
  if (!sigTlv || sigTlv.tag !== TAG.BIT_STRING || der[sigTlv.body] !== 0) throw new DerError('expected a signature');
  return {
    tbs: wholeOf(der, tbsTlv!),
    algorithm: signatureAlgorithm(der, algTlv!),
    signature: contentOf(der, sigTlv).subarray(1),
    thisUpdate: timeOf(der, thisUpdateTlv!),
    nextUpdate,
    revoked,
  };
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
