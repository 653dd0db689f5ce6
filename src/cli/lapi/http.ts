import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CliError } from '../context.js';
import { userAgent } from '../../version.js';

export interface ApiReply {
  status: number;
  statusText: string;
  body: string;
}

const TIMEOUT_MS = 30_000;

/** TLS for the client side: the CAs to trust, a client certificate, and whether to check the server at all. */
export interface ClientTls {
  ca?: string[] | undefined;
  cert?: Buffer | undefined;
  key?: Buffer | undefined;
  rejectUnauthorized: boolean;
}

/**
 * POSTs JSON with Lapis's User-Agent over http or https (with `tls`, when given). Throws CliError
 * `Post "<url>": <cause>` when no answer comes (`connect ECONNREFUSED 127.0.0.1:1`, a TLS failure…).
 */
export function postJson(url: string, body: unknown, tls?: ClientTls): Promise<ApiReply> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise<ApiReply>((resolve, reject) => {
    const fail = (why: string) => reject(new CliError(`Post "${url}": ${why.split('\n')[0]!}`));
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return fail('invalid URL');
    }
    const headers = { 'content-type': 'application/json', 'content-length': String(data.length), 'user-agent': userAgent() };
    const req =
      u.protocol === 'https:'
        ? httpsRequest(u, { method: 'POST', headers, agent: false, ...(tls ?? {}) })
        : httpRequest(u, { method: 'POST', headers, agent: false });
    const timer = setTimeout(() => req.destroy(new Error(`timeout after ${TIMEOUT_MS / 1000}s`)), TIMEOUT_MS);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => fail(err.message));
    });
    req.on('error', (err: Error & { code?: string; errors?: Error[] }) => {
      clearTimeout(timer);
      // connecting to a name with several addresses fails with an AggregateError and no message
      fail(err.message || err.errors?.[0]?.message || err.code || String(err));
    });
    req.end(data);
  });
}

export function isSuccess(r: ApiReply): boolean {
  return (r.status >= 200 && r.status <= 299) || r.status === 304;
}

/** upstream's apiclient CheckResponse: `API error: <message>` from the `{message, errors}` body. */
export function apiError(r: ApiReply): string {
  if (r.body.length === 0) return `API error: http code ${r.status}, no error message`;
  if (r.status === 422) return `API error: http code 422, invalid request: ${r.body}`;
  let parsed: { message?: unknown; errors?: unknown };
  try {
    parsed = JSON.parse(r.body) as typeof parsed;
  } catch (err) {
    return `http code ${r.status}, invalid body: ${(err as Error).message}`;
  }
  const message = typeof parsed?.message === 'string' ? parsed.message : '';
  const errors = parsed?.errors;
  return `API error: ${message}${errors !== undefined && errors !== null && errors !== '' ? ` (${JSON.stringify(errors)})` : ''}`;
}

/** Go's `resp.Status`: `401 Unauthorized`. */
export function statusLine(r: ApiReply): string {
  return r.statusText ? `${r.status} ${r.statusText}` : String(r.status);
}
