import { CliError } from '../context.js';
import { userAgent } from '../../version.js';

export interface ApiReply {
  status: number;
  statusText: string;
  body: string;
}

const TIMEOUT_MS = 30_000;

/** Why a request never got an answer, in one line (`connect ECONNREFUSED 127.0.0.1:1`). */
function causeOf(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { message?: string; code?: string; errors?: { message?: string }[] } };
  if (e?.name === 'TimeoutError') return `timeout after ${TIMEOUT_MS / 1000}s`;
  const c = e?.cause;
  const msg = c?.message || c?.errors?.[0]?.message || c?.code || e?.message || String(err);
  return msg.split('\n')[0]!;
}

/** POSTs JSON with Lapis's User-Agent. Throws CliError `Post "<url>": <cause>` when no answer comes. */
export async function postJson(url: string, body: unknown): Promise<ApiReply> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': userAgent() },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    return { status: res.status, statusText: res.statusText, body: await res.text() };
  } catch (err) {
    throw new CliError(`Post "${url}": ${causeOf(err)}`);
  }
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
