import { createHash, X509Certificate } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { FastifyBaseLogger } from 'fastify';
import {
  DerError,
  HASH_BY_OID,
  OID,
  TAG,
  certParts,
  children,
  contentOf,
  ctx,
  encodeOid,
  expect,
  integerHex,
  normalizeSerial,
  oidOf,
  readTlv,
  signatureAlgorithm,
  timeOf,
  tlv,
  verifySignature,
  wholeOf,
  bitString,
  type Tlv,
} from './tls-der.js';

/** What one OCSP check found. `no-answer`: the certificate names responders and none gave a usable answer. */
export type OcspStatus = 'good' | 'revoked' | 'no-ocsp' | 'no-answer';

/** The responders a certificate names (its Authority Information Access, OCSP entries). */
export function ocspUrls(cert: X509Certificate): string[] {
  const out: string[] = [];
  for (const line of (cert.infoAccess ?? '').split('\n')) {
    const m = /^OCSP - URI:(.*)$/.exec(line);
    if (!m) continue;
    let url = m[1]!;
    // Node quotes values holding unusual characters, JSON-style
    if (url.startsWith('"')) {
      try {
        url = JSON.parse(url) as string;
      } catch {
        continue;
      }
    }
    out.push(url);
  }
  return out;
}

/** An OCSPRequest (RFC 6960 §4.1: request ⊃ tbsRequest ⊃ requestList ⊃ Request ⊃ CertID), hashed with SHA-256 as upstream asks. */
export function ocspRequest(cert: X509Certificate, issuer: X509Certificate): Buffer {
  return tlv(TAG.SEQUENCE, tlv(TAG.SEQUENCE, tlv(TAG.SEQUENCE, tlv(TAG.SEQUENCE, certId(cert, issuer, 'sha256')))));
}

function certId(cert: X509Certificate, issuer: X509Certificate, hash: string): Buffer {
  const c = certParts(cert.raw);
  const i = certParts(issuer.raw);
  const h = (b: Buffer) => createHash(hash).update(b).digest();
  const hashOid = Object.keys(HASH_BY_OID).find((k) => HASH_BY_OID[k] === hash)!;
  return tlv(
    TAG.SEQUENCE,
    tlv(TAG.SEQUENCE, encodeOid(hashOid), tlv(TAG.NULL)),
    tlv(TAG.OCTET_STRING, h(i.subject)),
    tlv(TAG.OCTET_STRING, h(i.publicKeyBits)),
    c.serial,
  );
}

/** Clock skew allowed on a response's thisUpdate/nextUpdate. */
const SKEW_MS = 5 * 60_000;

/**
 * Reads an OCSPResponse for `cert` (RFC 6960 §4.2): `good`, `revoked` or `unknown`. Throws when the
 * response is unsuccessful, malformed, stale, about another certificate, or not signed by the issuer or
 * by a responder certificate the issuer delegated (id-kp-OCSPSigning).
 */
export function parseOcspResponse(
  der: Buffer,
  cert: X509Certificate,
  issuer: X509Certificate,
  now = Date.now(),
): 'good' | 'revoked' | 'unknown' {
  const top = children(der, expect(readTlv(der, 0), TAG.SEQUENCE, 'an OCSP response'));
  const status = contentOf(der, expect(top[0], TAG.ENUMERATED, 'a response status'));
  if (status.length !== 1 || status[0] !== 0) throw new DerError(`OCSP responder answered status ${status[0] ?? '?'}`);
  const [bytes] = children(der, expect(top[1], ctx(0), 'response bytes'));
  const [typeTlv, responseTlv] = children(der, expect(bytes, TAG.SEQUENCE, 'response bytes'));
  if (oidOf(der, typeTlv!) !== OID.ocspBasic) throw new DerError('not a basic OCSP response');
  const basic = contentOf(der, expect(responseTlv, TAG.OCTET_STRING, 'a basic response'));
  const [tbsTlv, algTlv, sigTlv, certsTlv] = children(basic, expect(readTlv(basic, 0), TAG.SEQUENCE, 'a basic response'));
  const tbs = wholeOf(basic, expect(tbsTlv, TAG.SEQUENCE, 'response data'));
  const alg = signatureAlgorithm(basic, algTlv!);
  const signature = bitString(basic, sigTlv!);
  const signers = [issuer, ...delegatedResponders(basic, certsTlv, issuer, now)];
  if (!signers.some((s) => verifySignature(alg, tbs, s.publicKey, signature)))
    throw new DerError('OCSP response signature does not verify');

  const data = children(basic, tbsTlv!);
  let i = data[0]?.tag === ctx(0) ? 1 : 0; // version
  i += 2; // responderID, producedAt
  const wantSerial = normalizeSerial(cert.serialNumber);
  for (const single of children(basic, expect(data[i], TAG.SEQUENCE, 'responses'))) {
    const [id, certStatus, thisUpdate, ...rest] = children(basic, expect(single, TAG.SEQUENCE, 'a single response'));
    if (!sameCert(basic, id!, cert, issuer, wantSerial)) continue;
    if (timeOf(basic, thisUpdate!) > now + SKEW_MS) throw new DerError('OCSP response not yet valid');
    const next = rest.find((t) => t.tag === ctx(0));
    if (next && timeOf(basic, children(basic, next)[0]!) < now - SKEW_MS) throw new DerError('OCSP response is stale');
    if (certStatus!.tag === ctx(0, false)) return 'good';
    if (certStatus!.tag === ctx(1)) return 'revoked';
    return 'unknown';
  }
  throw new DerError('OCSP response does not cover the certificate');
}

/** Whether a CertID names `cert` as issued by `issuer` (serial, then issuer name and key hashes). */
function sameCert(buf: Buffer, id: Tlv, _cert: X509Certificate, issuer: X509Certificate, serial: string): boolean {
  const [hashAlg, nameHash, keyHash, serialTlv] = children(buf, expect(id, TAG.SEQUENCE, 'a CertID'));
  if (integerHex(buf, serialTlv!) !== serial) return false;
  const hash = HASH_BY_OID[oidOf(buf, children(buf, hashAlg!)[0]!)];
  if (!hash) return false;
  const i = certParts(issuer.raw);
  const h = (b: Buffer) => createHash(hash).update(b).digest();
  return contentOf(buf, nameHash!).equals(h(i.subject)) && contentOf(buf, keyHash!).equals(h(i.publicKeyBits));
}

/** Certificates in the response that the issuer signed for OCSP signing and that are valid now. */
function delegatedResponders(buf: Buffer, certsTlv: Tlv | undefined, issuer: X509Certificate, now: number): X509Certificate[] {
  if (!certsTlv || certsTlv.tag !== ctx(0)) return [];
  const [list] = children(buf, certsTlv);
  const out: X509Certificate[] = [];
  for (const c of children(buf, expect(list, TAG.SEQUENCE, 'certificates'))) {
    try {
      const x = new X509Certificate(wholeOf(buf, c));
      const valid = Date.parse(x.validFrom) <= now && now <= Date.parse(x.validTo);
      if (valid && x.checkIssued(issuer) && x.verify(issuer.publicKey) && (x.keyUsage ?? []).includes(OID.ocspSigning)) out.push(x);
    } catch {
      // not a certificate we can use
    }
  }
  return out;
}

/** Bounds on one responder exchange; upstream has none (a silent responder holds the request forever). */
const TIMEOUT_MS = 5000;
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** POSTs an OCSP request (RFC 6960 appendix A.1). Rejects on a transport error, a non-200 or a timeout. */
export function postOcsp(url: string, body: Buffer, timeoutMs = TIMEOUT_MS): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return reject(new Error(`unsupported OCSP URL ${url}`));
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      u,
      { method: 'POST', headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) req.destroy(new Error('OCSP response too large'));
          else chunks.push(c);
        });
        res.on('end', () =>
          res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`OCSP responder answered HTTP ${res.statusCode}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000}s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Asks each responder the certificate names, in turn, as upstream: the first `good` or `revoked` answer
 * wins; errors and `unknown` move on to the next one. Never throws.
 */
export async function ocspStatus(
  cert: X509Certificate,
  issuer: X509Certificate,
  log: FastifyBaseLogger,
  post = postOcsp,
): Promise<OcspStatus> {
  const urls = ocspUrls(cert);
  if (urls.length === 0) return 'no-ocsp';
  const body = ocspRequest(cert, issuer);
  for (const url of urls) {
    try {
      const status = parseOcspResponse(await post(url, body), cert, issuer);
      if (status !== 'unknown') return status;
      log.debug({ url }, 'unknown OCSP status');
    } catch (err) {
      log.error({ url, reason: (err as Error).message }, 'TLSAuth: error querying OCSP server');
    }
  }
  return 'no-answer';
}
