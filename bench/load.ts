import { connect, type Socket } from 'node:net';

/**
 * A small closed-loop HTTP/1.1 load generator on raw sockets: N keep-alive connections, one request
 * outstanding on each, every response timed with `process.hrtime.bigint()`. It parses only what it needs
 * to know where a response ends (status line, then Content-Length or the chunked terminator). Raw sockets
 * keep the generator's own cost well below the server's, which matters when both share two cores.
 *
 * Every phase is bounded: by its duration, by a request count, by a grace period for the requests still
 * in flight at the deadline, and by a number of reconnects.
 */
export interface LoadOptions {
  host: string;
  port: number;
  connections: number;
  seconds: number;
  /** The request to send as the phase's i-th (method line, headers, body), as bytes. */
  request: (i: number) => Buffer;
  /** The status that counts as success. */
  okStatus: number;
  /** Stop after this many requests even if time is left (also sizes the latency array). */
  maxRequests?: number;
  /** How long the requests in flight at the deadline may take before the socket is dropped. */
  graceSeconds?: number;
}

export interface LoadResult {
  /** Responses received. */
  requests: number;
  /** Responses whose status was not `okStatus`. */
  badStatus: number;
  /** Status → count, for the report of a failing phase. */
  statuses: Map<number, number>;
  /** Requests that got no response: socket errors, closes, the grace period running out. */
  failures: number;
  seconds: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  maxms: number;
  /** The first response's body (of the first connection), for a spot check. */
  sample?: { request: number; status: number; body: string } | undefined;
}

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_RECONNECTS_PER_CONNECTION = 20;

export function buildRequest(method: string, path: string, headers: Record<string, string>, body?: string): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: keep-alive'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`, 'Content-Type: application/json');
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`);
}

/** Where a chunked body that starts at `from` ends (past its terminator), or -1 if `buf` does not hold all of it. */
function chunkedEnd(buf: Buffer, from: number): number {
  let at = from;
  for (let guard = 0; guard < 1_000_000; guard++) {
    const eol = buf.indexOf(CRLF, at);
    if (eol < 0) return -1;
    const size = parseInt(buf.toString('latin1', at, eol).split(';')[0]!, 16);
    if (Number.isNaN(size)) throw new Error(`bad chunk size at byte ${at}`);
    if (size === 0) {
      // no trailers from the servers measured here: the last chunk is followed by one empty line
      const end = eol + 4;
      return buf.length >= end ? end : -1;
    }
    at = eol + 2 + size + 2;
    if (at > buf.length) return -1;
  }
  throw new Error('too many chunks');
}

/** One response parsed from the front of `buf`, or null while it is incomplete. */
export function parseResponse(buf: Buffer): { end: number; status: number; bodyStart: number; bodyEnd: number; close: boolean } | null {
  const head = buf.indexOf(HEAD_END);
  if (head < 0) return null;
  const header = buf.toString('latin1', 0, head);
  const status = Number(header.slice(9, 12));
  const close = /\r\nconnection:\s*close/i.test(header);
  const bodyStart = head + 4;
  const len = /\r\ncontent-length:\s*(\d+)/i.exec(header);
  if (len) {
    const end = bodyStart + Number(len[1]);
    return buf.length >= end ? { end, status, bodyStart, bodyEnd: end, close } : null;
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(header)) {
    const end = chunkedEnd(buf, bodyStart);
    return end < 0 ? null : { end, status, bodyStart, bodyEnd: end, close };
  }
  return { end: bodyStart, status, bodyStart, bodyEnd: bodyStart, close };
}

/** The body of a chunked response, unchunked (for the spot check only). */
function dechunk(raw: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  for (let guard = 0; guard < 1_000_000 && at < raw.length; guard++) {
    const eol = raw.indexOf(CRLF, at);
    const size = parseInt(raw.toString('latin1', at, eol), 16);
    if (!(size > 0)) break;
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts).toString('utf8');
}

export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function open(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, noDelay: true }, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
    s.setTimeout(10_000, () => s.destroy(new Error('connect timeout')));
  });
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const maxRequests = o.maxRequests ?? 5_000_000;
  // latencies in nanoseconds; a typed array bounded by the request cap
  const latencies = new Float64Array(maxRequests);
  let done = 0;
  let issued = 0;
  let badStatus = 0;
  let failures = 0;
  const statuses = new Map<number, number>();
  let sample: LoadResult['sample'];
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(o.seconds * 1e9));
  const graceMs = (o.graceSeconds ?? 10) * 1000;
  const sockets = new Set<Socket>();

  const worker = (id: number) =>
    new Promise<void>((resolve) => {
      let reconnects = 0;
      let socket: Socket | undefined;
      let buf: Buffer = Buffer.alloc(0);
      let sentAt = 0n;
      let current = -1;
      let inFlight = false;
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        if (socket) {
          sockets.delete(socket);
          socket.destroy();
        }
        resolve();
      };
      const send = () => {
        if (process.hrtime.bigint() >= deadline || issued >= maxRequests) return finish();
        current = issued++;
        sentAt = process.hrtime.bigint();
        inFlight = true;
        socket!.write(o.request(current));
      };
      const onData = (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        // one request outstanding: at most one response is expected, but a stray one must not hang us
        for (let guard = 0; guard < 16 && buf.length > 0; guard++) {
          let r: ReturnType<typeof parseResponse>;
          try {
            r = parseResponse(buf);
          } catch {
            failures++;
            return reconnect();
          }
          if (!r) return;
          const at = process.hrtime.bigint();
          if (!inFlight) {
            buf = buf.subarray(r.end);
            continue;
          }
          inFlight = false;
          if (done < maxRequests) latencies[done++] = Number(at - sentAt);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status !== o.okStatus) badStatus++;
          if (id === 0 && !sample) {
            const raw = buf.subarray(r.bodyStart, r.bodyEnd);
            const chunked = /\r\ntransfer-encoding:\s*chunked/i.test(buf.toString('latin1', 0, r.bodyStart));
            sample = { request: current, status: r.status, body: chunked ? dechunk(raw) : raw.toString('utf8') };
          }
          buf = buf.subarray(r.end);
          if (r.close) return reconnect();
          send();
        }
      };
      const reconnect = () => {
        if (socket) {
          sockets.delete(socket);
          socket.removeAllListeners();
          socket.on('error', () => undefined);
          socket.destroy();
          socket = undefined;
        }
        if (inFlight) {
          failures++;
          inFlight = false;
        }
        buf = Buffer.alloc(0);
        if (finished || process.hrtime.bigint() >= deadline || reconnects++ >= MAX_RECONNECTS_PER_CONNECTION) return finish();
        open(o.host, o.port).then(
          (s) => {
            if (finished) {
              s.destroy();
              return;
            }
            attach(s);
            send();
          },
          () => {
            failures++;
            reconnect();
          },
        );
      };
      const attach = (s: Socket) => {
        socket = s;
        sockets.add(s);
        s.setTimeout(0);
        s.on('data', onData);
        s.on('error', () => reconnect());
        s.on('close', () => {
          if (!finished && socket === s) reconnect();
        });
      };
      open(o.host, o.port).then(
        (s) => {
          attach(s);
          send();
        },
        () => {
          failures++;
          reconnect();
        },
      );
    });

  // a watchdog for requests still in flight once the deadline and the grace period have passed
  const watchdog = setTimeout(
    () => {
      for (const s of sockets) s.destroy(new Error('grace period over'));
    },
    o.seconds * 1000 + graceMs,
  );
  try {
    await Promise.all(Array.from({ length: o.connections }, (_, i) => worker(i)));
  } finally {
    clearTimeout(watchdog);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const sorted = latencies.subarray(0, done).sort();
  return {
    requests: done,
    badStatus,
    statuses,
    failures,
    seconds,
    rps: done / seconds,
    p50ms: percentile(sorted, 0.5) / 1e6,
    p99ms: percentile(sorted, 0.99) / 1e6,
    maxms: (sorted[sorted.length - 1] ?? 0) / 1e6,
    sample,
  };
}
