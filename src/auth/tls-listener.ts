import { X509Certificate, constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type TlsOptions } from 'node:tls';
import type { ClientVerification, Config } from '../config/schema.js';
import { OID, TAG, encodeOid, pemBlocks, tlv } from './tls-der.js';

// The HTTPS listener's side of `api.server.tls`: its settings, the server certificate and the CAs the handshake trusts.

/** `api.server.tls` with its defaults applied. */
export interface TlsSettings {
  certFile: string;
  keyFile: string;
  caFile: string;
  mode: ClientVerification;
  agentsAllowedOu: string[];
  bouncersAllowedOu: string[];
  crlPath: string;
  cacheMs: number;
}

/** The TLS settings, or undefined when `api.server.tls` is absent. Config load has validated the values. */
export function tlsSettings(config: Config): TlsSettings | undefined {
  const t = config.server.tls;
  if (!t) return undefined;
  return {
    certFile: t.cert_file ?? '',
    keyFile: t.key_file ?? '',
    caFile: t.ca_cert_path ?? '',
    mode: (t.client_verification || 'VerifyClientCertIfGiven') as ClientVerification,
    agentsAllowedOu: [...t.agents_allowed_ou],
    bouncersAllowedOu: [...t.bouncers_allowed_ou],
    crlPath: t.crl_path ?? '',
    cacheMs: config.tlsCacheMs,
  };
}

/** Whether the listener is HTTPS: as upstream, when `cert_file` or `key_file` is set. */
export const servesTls = (s: TlsSettings | undefined): s is TlsSettings => s !== undefined && (s.certFile !== '' || s.keyFile !== '');

/** Modes in which the TLS stack verifies a presented certificate against the CAs. */
export const verifies = (mode: ClientVerification): boolean => mode === 'VerifyClientCertIfGiven' || mode === 'RequireAndVerifyClientCert';

function readOrFail(key: string, path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(
      `api.server.tls.${key}: while opening ${what}: ${e.code === 'ENOENT' ? `open ${path}: no such file or directory` : e.message}`,
    );
  }
}

/** The certificates in `ca_cert_path` (PEM). Throws when the file is unreadable or holds none. */
export function caCertificates(s: TlsSettings): Buffer[] {
  if (s.caFile === '') return [];
  const ders = pemBlocks(readOrFail('ca_cert_path', s.caFile, 'cert file').toString('latin1'), 'CERTIFICATE').map((b) => b.der);
  if (ders.length === 0) throw new Error(`api.server.tls.ca_cert_path: no PEM certificate in ${s.caFile}`);
  return ders;
}

/**
 * A CA as an OpenSSL "TRUSTED CERTIFICATE" marked for clientAuth. OpenSSL otherwise accepts only
 * self-signed trust anchors, while Go (upstream) trusts every certificate of the pool, so an
 * intermediate alone in `ca_cert_path` is enough there. The trust mark gives the same on every Node.
 */
function trustedForClients(der: Buffer): string {
  const aux = tlv(TAG.SEQUENCE, tlv(TAG.SEQUENCE, encodeOid(OID.clientAuth)));
  const b64 = Buffer.concat([der, aux]).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN TRUSTED CERTIFICATE-----\n${b64}\n-----END TRUSTED CERTIFICATE-----\n`;
}

/**
 * The HTTPS listener's options, or undefined for plain HTTP. Throws upstream's startup errors
 * (`missing TLS key file`, `missing TLS cert file`) and unreadable-file errors naming the key.
 * TLS ≥ 1.2. The client certificate is requested but checked per request (TlsAuth), except in
 * RequireAndVerifyClientCert, where a missing or unverifiable one fails the handshake as upstream.
 */
export function listenerTlsOptions(s: TlsSettings | undefined): TlsOptions | undefined {
  if (!servesTls(s)) return undefined;
  if (s.keyFile === '') throw new Error('missing TLS key file');
  if (s.certFile === '') throw new Error('missing TLS cert file');
  const opts: TlsOptions = {
    cert: readOrFail('cert_file', s.certFile, 'cert file'),
    key: readOrFail('key_file', s.keyFile, 'key file'),
    minVersion: 'TLSv1.2',
    requestCert: s.mode !== 'NoClientCert',
    rejectUnauthorized: s.mode === 'RequireAndVerifyClientCert',
  };
  // A resumed session carries the client's certificate but not the chain it sent, which the revocation
  // checks walk: with client certificates, every connection makes a full handshake.
  if (opts.requestCert) opts.secureOptions = constants.SSL_OP_NO_TICKET;
  // as upstream: the system pool plus ca_cert_path, read only when certificates are verified
  if (verifies(s.mode)) opts.ca = [...rootCertificates, ...caCertificates(s).map(trustedForClients)];
  return opts;
}

/**
 * Checks a listener's options as the TLS server will take them, so that a reload refuses what it could not
 * serve: a certificate or key that does not parse, or a key that does not match the certificate, throws an
 * error starting with `where`. Returns when the (first) certificate expires.
 */
export function checkListenerOptions(options: TlsOptions, where: string): Date {
  try {
    createSecureContext(options);
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
  const first = pemBlocks(Buffer.from(options.cert as Buffer).toString('latin1'), 'CERTIFICATE')[0];
  if (!first) throw new Error(`${where}: no PEM certificate`);
  return new Date(new X509Certificate(first.der).validTo);
}
