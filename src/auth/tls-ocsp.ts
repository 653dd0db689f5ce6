import { createHash, X509Certificate } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import * as asn1js from 'asn1js';
import type { FastifyBaseLogger } from 'fastify';
import { AlgorithmIdentifier, BasicOCSPResponse, CertID, OCSPRequest, OCSPResponse, Request, TBSRequest } from 'pkijs';
import {
  asStructure,
  CONTEXT,
  type CertParts,
  certParts,
  DerError,
  decodeDer,
  epochSeconds,
  HASH_BY_OID,
  normalizeSerial,
  OID,
  signatureOf,
  verifySignature,
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

/** An OCSPRequest (RFC 6960 §4.1) for one certificate, its CertID hashed with SHA-256 as upstream asks. */
export function ocspRequest(cert: X509Certificate, issuer: X509Certificate): Buffer {
  const request = new OCSPRequest({
    tbsRequest: new TBSRequest({ requestList: [new Request({ reqCert: certId(certParts(cert.raw), certParts(issuer.raw), OID.sha256) })] }),
  });
  return Buffer.from(request.toSchema(true).toBER());
}

function certId(cert: CertParts, issuer: CertParts, hashOid: string): CertID {
  const h = (b: Buffer) => new asn1js.OctetString({ valueHex: createHash(HASH_BY_OID[hashOid]!).update(b).digest() });
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithmId: hashOid, algorithmParams: new asn1js.Null() }),
    issuerNameHash: h(issuer.subject),
    issuerKeyHash: h(issuer.publicKeyBits),
    serialNumber: cert.serial,
  });
}

/** Clock skew allowed on a response's thisUpdate/nextUpdate. */
const SKEW_MS = 5 * 60_000;

/**
 * Reads an OCSPResponse for `cert` (RFC 6960 §4.2): `good`, `revoked` or `unknown`. Throws when the
 * response is unsuccessful, malformed, stale, about another certificate, or not signed by the issuer or
 * by a responder certificate the issuer delegated (id-kp-OCSPSigning).
 */
export function parseOcspResponse(
  der: Uint8Array,
  cert: X509Certificate,
  issuer: X509Certificate,
  now = Date.now(),
): 'good' | 'revoked' | 'unknown' {
  const tree = decodeDer(der, 'OCSP response');
  const response = asStructure('an OCSP response', () => new OCSPResponse({ schema: tree }));
  const status = response.responseStatus.valueBlock.valueDec;
  if (status !== 0) throw new DerError(`OCSP responder answered status ${status}`);
  const bytes = response.responseBytes;
  if (!bytes) throw new DerError('expected response bytes');
  if (bytes.responseType !== OID.ocspBasic) throw new DerError('not a basic OCSP response');
  const basicTree = decodeDer(bytes.response.valueBlock.valueHexView, 'basic response');
  const basic = asStructure('a basic response', () => new BasicOCSPResponse({ schema: basicTree }));
  const { algorithm, signature } = signatureOf(basic.signatureAlgorithm, basic.signature);
  const tbs = basic.tbsResponseData.tbsView;
  const signers = [issuer, ...delegatedResponders(basic, issuer, now)];
  if (!signers.some((s) => verifySignature(algorithm, tbs, s.publicKey, signature)))
    throw new DerError('OCSP response signature does not verify');

  const wantSerial = normalizeSerial(cert.serialNumber);
  const issuerParts = certParts(issuer.raw);
  for (const single of basic.tbsResponseData.responses) {
    if (!sameCert(single.certID, issuerParts, wantSerial)) continue;
    // certStatus (RFC 6960 §4.2.1): good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2]
    if (epochSeconds(single.thisUpdate) > now + SKEW_MS) throw new DerError('OCSP response not yet valid');
    if (single.nextUpdate && epochSeconds(single.nextUpdate) < now - SKEW_MS) throw new DerError('OCSP response is stale');
    const { tagClass, tagNumber, isConstructed } = (single.certStatus as asn1js.BaseBlock).idBlock;
    if (tagClass === CONTEXT && tagNumber === 0 && !isConstructed) return 'good';
    if (tagClass === CONTEXT && tagNumber === 1 && isConstructed) return 'revoked';
    return 'unknown';
  }
  throw new DerError('OCSP response does not cover the certificate');
}

/** Whether a CertID names the certificate of serial `serial` issued by `issuer` (serial, then issuer name and key hashes). */
function sameCert(id: CertID, issuer: CertParts, serial: string): boolean {
  if (normalizeSerial(Buffer.from(id.serialNumber.valueBlock.valueHexView).toString('hex')) !== serial) return false;
  const hash = HASH_BY_OID[id.hashAlgorithm.algorithmId];
  if (!hash) return false;
  const h = (b: Buffer) => createHash(hash).update(b).digest();
  return (
    Buffer.from(id.issuerNameHash.valueBlock.valueHexView).equals(h(issuer.subject)) &&
    Buffer.from(id.issuerKeyHash.valueBlock.valueHexView).equals(h(issuer.publicKeyBits))
  );
}

/** Certificates in the response that the issuer signed for OCSP signing and that are valid now. */
function delegatedResponders(basic: BasicOCSPResponse, issuer: X509Certificate, now: number): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const c of basic.certs ?? []) {
    try {
      const x = new X509Certificate(Buffer.from(c.toSchema().toBER()));
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
