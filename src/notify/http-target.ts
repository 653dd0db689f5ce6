import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import type { HttpNotifierConfig } from './config.js';

/** What one attempt came to. `retryable`: a network error, a timeout, a 5xx or a 429. */
export type SendOutcome = { ok: true; status: number } | { ok: false; retryable: boolean; status?: number; error?: Error };

/**
 * One notifier's endpoint: its own connection pool, its TLS settings, one request per `send`.
 * Never logs, and keeps the headers to itself (they may carry secrets).
 */
export class HttpTarget {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;

  constructor(private readonly config: HttpNotifierConfig) {
    this.url = new URL(config.url);
    const { ca, cert, key } = config.tls;
    this.agent =
      this.url.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            // Only when configured: skip_tls_verification.
            rejectUnauthorized: !config.skipTlsVerification,
            // As upstream, a CA file adds to the system roots rather than replacing them.
            ...(ca !== undefined && { ca: [...rootCertificates, ca] }),
            ...(cert !== undefined && { cert, key }),
          })
        : new http.Agent({ keepAlive: true });
    this.headers = { ...config.headers };
  }

  /**
   * Sends `body` once, within the configured timeout (response body included, as Go's context covers
   * Do and ReadAll). `stop` aborts it early; the outcome is then not retryable. Never rejects.
   */
  send(body: string, stop: AbortSignal): Promise<SendOutcome> {
    return new Promise((resolve) => {
      const payload = Buffer.from(body);
      const ac = new AbortController();
      let why: 'timeout' | 'stop' | undefined;
      const abort = (reason: 'timeout' | 'stop') => {
        why ??= reason;
        ac.abort();
      };
      const onStop = () => abort('stop');
      const timer = setTimeout(() => abort('timeout'), this.config.timeoutMs);
      let settled = false;
      const done = (outcome: SendOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stop.removeEventListener('abort', onStop);
        resolve(outcome);
      };
      const failed = (error: Error) => {
        if (why === 'timeout') done({ ok: false, retryable: true, error: new Error(`timeout after ${this.config.timeoutMs} ms`) });
        else if (why === 'stop') done({ ok: false, retryable: false, error: new Error('aborted: the notifier is closing') });
        else done({ ok: false, retryable: true, error });
      };
      if (stop.aborted) {
        why = 'stop';
        return failed(new Error('aborted'));
      }
      stop.addEventListener('abort', onStop);

      const headers: Record<string, string | number> = { ...this.headers };
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) headers['content-length'] = payload.length;
      let req: http.ClientRequest;
      try {
        req = (this.url.protocol === 'https:' ? https : http).request(this.url, {
          method: this.config.method,
          headers,
          agent: this.agent,
          signal: ac.signal,
          ...(this.config.unixSocket !== undefined && { socketPath: this.config.unixSocket }),
        });
      } catch (err) {
        return done({ ok: false, retryable: false, error: err as Error });
      }
      req.on('error', failed);
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        res.on('error', failed);
        res.on('end', () => {
          if (status >= 200 && status < 300) done({ ok: true, status });
          else done({ ok: false, retryable: status >= 500 || status === 429, status });
        });
        res.on('close', () => failed(new Error('connection closed before the response ended')));
        res.resume();
      });
      req.end(payload);
    });
  }

  /** Closes the pooled connections. */
  destroy(): void {
    this.agent.destroy();
  }
}
