import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePki, type Pki } from './pki.js';
import { startTestServer } from './server.js';
import type { After } from './context.js';

/** One PKI per test file (made once, removed when the process exits). */
export function filePki(opts: { ocspUrl?: string } = {}): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'lapis-pki-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return makePki(dir, opts);
}

/** `api.server.tls` for the PKI, as YAML lines under `api.server`; `extra` lines are added (4-space indented). */
export function tlsYaml(pki: Pki, extra: string[] = [], base: Record<string, string> = {}): string {
  const keys: Record<string, string> = {
    cert_file: pki.path('server-chain.pem'),
    key_file: pki.path('server-key.pem'),
    ca_cert_path: pki.path('root.pem'),
    crl_path: pki.path('crl.pem'),
    ...base,
  };
  const lines = Object.entries(keys).map(([k, v]) => `      ${k}: ${v === '' ? "''" : v}`);
  return `${['    tls:', ...lines, ...extra.map((l) => `      ${l}`)].join('\n')}\n`;
}

/** A real Lapis listener on HTTPS with the PKI's server certificate. */
export function startTlsServer(t: After, pki: Pki, extra: string[] = [], base: Record<string, string> = {}) {
  return startTestServer(t, tlsYaml(pki, extra, base));
}

export interface HttpsReply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface HttpsCall {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** A PKI name: `<cert>-chain.pem` and `<cert>-key.pem` are presented. */
  cert?: string;
  /** Trust this file instead of the PKI's root. */
  ca?: string;
}

/** One HTTPS request on a fresh connection, trusting the PKI's root. Rejects on a TLS or socket error. */
export function https(pki: Pki, url: string, call: HttpsCall = {}): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: call.method ?? 'GET',
        agent: false,
        ca: pki.read(call.ca ?? 'root.pem'),
        ...(call.cert ? { cert: pki.read(`${call.cert}-chain.pem`), key: pki.read(`${call.cert}-key.pem`) } : {}),
        headers: { 'user-agent': 'crowdsec-firewall-bouncer/v0.0.31', ...(call.headers ?? {}) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(call.body);
  });
}
