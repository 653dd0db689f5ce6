import { formatGoDuration } from '../domain/duration.js';
import { InvalidValueError } from '../errors.js';

/** What one conditional GET of a feed came to. */
export type FeedFetch =
  | { kind: 'not-modified'; etag?: string | null; lastModified?: string | null }
  | { kind: 'content'; text: string; etag: string | null; lastModified: string | null };

export interface FeedFetchOptions {
  /** Cap on the decoded body, in bytes. */
  maxBytes: number;
  /** For the whole exchange: connection, redirects and body. */
  timeoutMs: number;
  userAgent: string;
  /** Aborts the fetch early (a job stopping); the FeedError then has kind 'aborted'. */
  signal?: AbortSignal;
}

export type FeedErrorKind = 'invalid-url' | 'http-status' | 'too-large' | 'timeout' | 'network' | 'redirect' | 'aborted';

/** A fetch that gave no usable answer. The message is one line, meant for the list's status and the log. */
export class FeedError extends Error {
  override name = 'FeedError';
  constructor(
    readonly kind: FeedErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Redirects followed before giving up, as browsers' 20 is far more than a feed needs. */
export const MAX_REDIRECTS = 5;

/** The feed URL a list follows, parsed: http or https only. Throws InvalidValueError (field `url`), which the admin API answers 400. */
export function validateFeedUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidValueError(`feed url is not a valid URL: '${text}'`, { field: 'url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidValueError(`feed url must be http or https: '${text}'`, { field: 'url' });
  }
  return url;
}

/** A URL fit for a status line or a log: no credentials, and a query (which may hold a key) shown as `?…`. */
export function displayFeedUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}${url.search ? '?…' : ''}`;
}

/**
 * GETs a feed with `If-None-Match` / `If-Modified-Since` from `prev`, following up to MAX_REDIRECTS
 * redirects to http(s) URLs only. The body (gzip decoded by fetch) is read as a stream and the transfer
 * cut as soon as it passes `maxBytes`. Returns `not-modified` on a 304 to a conditional request, the text
 * on a 200; throws FeedError for anything else (another status, too large, timeout, network error,
 * a redirect elsewhere, a URL validateFeedUrl refuses).
 */
export async function fetchFeed(
  url: string,
  prev: { etag: string | null; lastModified: string | null },
  opts: FeedFetchOptions,
): Promise<FeedFetch> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  const failure = (err: unknown): FeedError => {
    if (err instanceof FeedError) return err;
    if (timeout.aborted) return new FeedError('timeout', `timed out after ${formatGoDuration(opts.timeoutMs)}`, { cause: err });
    if (opts.signal?.aborted) return new FeedError('aborted', 'fetch aborted', { cause: err });
    return networkError(err);
  };
  const headers: Record<string, string> = { 'user-agent': opts.userAgent, 'accept-encoding': 'gzip', accept: 'text/plain, */*;q=0.5' };
  if (prev.etag !== null) headers['if-none-match'] = prev.etag;
  if (prev.lastModified !== null) headers['if-modified-since'] = prev.lastModified;
  const conditional = prev.etag !== null || prev.lastModified !== null;

  let current: URL;
  try {
    current = validateFeedUrl(url);
  } catch (err) {
    throw new FeedError('invalid-url', (err as Error).message, { cause: err });
  }
  // fetch refuses a URL with credentials: they go as Basic auth, to the feed's origin only
  const origin = current.origin;
  let basic: string | undefined;
  if (current.username || current.password) {
    const user = decodeURIComponent(current.username);
    const password = decodeURIComponent(current.password);
    basic = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    current.username = '';
    current.password = '';
  }
  try {
    for (let hops = 0; ; hops++) {
      const sent: Record<string, string> =
        basic !== undefined && current.origin === origin ? { ...headers, authorization: basic } : headers;
      const res = await fetch(current, { headers: sent, signal, redirect: 'manual' });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && res.status !== 304 && location !== null) {
        await res.body?.cancel();
        if (hops === MAX_REDIRECTS)
          throw new FeedError('redirect', `more than ${MAX_REDIRECTS} redirects from ${displayFeedUrl(new URL(url))}`);
        const next = URL.canParse(location, current.href) ? new URL(location, current) : null;
        if (next === null || (next.protocol !== 'http:' && next.protocol !== 'https:')) {
          throw new FeedError('redirect', `redirect to a non-http(s) URL from ${displayFeedUrl(current)}`);
        }
        current = next;
        continue;
      }
      const etag = res.headers.get('etag');
      const lastModified = res.headers.get('last-modified');
      if (res.status === 304 && conditional) {
        await res.body?.cancel();
        return { kind: 'not-modified', etag, lastModified };
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new FeedError('http-status', `HTTP ${res.status} from ${displayFeedUrl(current)}`);
      }
      const text = await readCapped(res, opts.maxBytes);
      return { kind: 'content', text, etag, lastModified };
    }
  } catch (err) {
    throw failure(err);
  }
}

/** `32 MiB`, `512 KiB`, `1000 bytes`: the cap as an operator wrote it, roughly. */
function formatBytes(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  if (n >= 1 << 10 && n % (1 << 10) === 0) return `${n / (1 << 10)} KiB`;
  return `${n} bytes`;
}

/** The body as UTF-8 text (undecodable bytes replaced), refused past `maxBytes` decoded bytes. */
async function readCapped(res: Response, maxBytes: number): Promise<string> {
  const tooLarge = () => new FeedError('too-large', `feed larger than ${formatBytes(maxBytes)}`);
  // a plain body announces its size; an encoded one's Content-Length is the compressed size
  const declared = Number(res.headers.get('content-length'));
  const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
  if (!encoded && declared > maxBytes) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder('utf-8');
  const parts: string[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    parts.push(decoder.decode(value, { stream: true }));
  }
  parts.push(decoder.decode());
  return parts.join('');
}

interface ErrorWithCode extends Error {
  code?: string;
  errors?: unknown[];
}

/** fetch's `TypeError: fetch failed` made readable from its cause: `connection refused (connect ECONNREFUSED 127.0.0.1:9)`. */
function networkError(err: unknown): FeedError {
  let cause: unknown = err instanceof TypeError && err.cause !== undefined ? err.cause : err;
  // a name with several addresses fails with an AggregateError whose message is empty
  if (cause instanceof AggregateError && cause.errors.length > 0) cause = cause.errors[0];
  const e = cause as ErrorWithCode;
  const detail = (e?.message || e?.code || String(cause)).split('\n')[0]!;
  const what: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host lookup failed',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    UND_ERR_SOCKET: 'connection lost',
  };
  const label = (e?.code && what[e.code]) ?? 'fetch failed';
  return new FeedError('network', `${label} (${detail})`, { cause: err });
}
