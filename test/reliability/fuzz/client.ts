import { appendFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

/** One request as generated: `path` is sent byte for byte (already encoded, or deliberately not). */
export interface FuzzRequest {
  listener: 'lapi' | 'admin';
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer | undefined;
}

export interface FuzzResponse {
  status: number;
  body: string;
}

/** Counts by status class across a file's requests, for the summary line. */
export class Tally {
  requests = 0;
  byClass: Record<string, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, 'no answer': 0 };
  readonly started = Date.now();

  record(status: number | undefined): void {
    this.requests++;
    const k = status === undefined ? 'no answer' : `${Math.floor(status / 100)}xx`;
    this.byClass[k] = (this.byClass[k] ?? 0) + 1;
  }

  /** One line for the test log; appended as JSON to LAPIS_FUZZ_SUMMARY when set (npm run fuzz adds them up). */
  report(file: string, extra: Record<string, unknown>, diagnostic: (s: string) => void): void {
    const ms = Date.now() - this.started;
    const classes = Object.entries(this.byClass)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    diagnostic(`${file}: ${this.requests} requests (${classes}) in ${(ms / 1000).toFixed(1)} s ${JSON.stringify(extra)}`);
    const out = process.env.LAPIS_FUZZ_SUMMARY;
    if (out) appendFileSync(out, `${JSON.stringify({ file, requests: this.requests, byClass: this.byClass, ms, ...extra })}\n`);
  }
}

// keep-alive like a real agent or bouncer; requests run one at a time, so a handful of sockets suffice
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** Sends one request and reads the whole answer. Rejects on a socket error or after `timeoutMs` without an answer. */
export function send(to: { host: string; port: number }, r: FuzzRequest, timeoutMs = 15_000): Promise<FuzzResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...r.headers };
    if (r.body !== undefined) headers['content-length'] = Buffer.byteLength(r.body);
    const req = request({ host: to.host, port: to.port, method: r.method, path: r.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(r.body);
  });
}

export function closeAgent(): void {
  agent.destroy();
}

/** A request, short enough for an error message. */
export function describe(r: FuzzRequest): string {
  const body = r.body === undefined ? '' : ` body=${JSON.stringify(String(r.body).slice(0, 600))}${String(r.body).length > 600 ? '…' : ''}`;
  return `${r.listener} ${r.method} ${r.path.slice(0, 600)} headers=${JSON.stringify(r.headers).slice(0, 400)}${body}`;
}
