import { connect, type Socket } from 'node:net';

/**
 * A small closed-loop HTTP/1.1 load generator on raw sockets: N keep-alive connections, one request in
 * flight on each, every response timed. Raw sockets keep the generator's own cost far below the
 * server's, which matters when both share a two-core machine.
 */
export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50ms: number;
  p99ms: number;
}

export interface LoadOptions {
  host: string;
  port: number;
  connections: number;
  seconds: number;
  /** Requests to send, in turn (method line, headers, optional body): built once. */
  requests: Buffer[];
  /** The status that counts as success. */
  okStatus: number;
}

export function buildRequest(method: string, path: string, headers: Record<string, string>, body?: string): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: keep-alive'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`, 'Content-Type: application/json');
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`);
}

/** Finds where one response ends in `buf` (Content-Length or chunked), or -1 when incomplete. */
function responseEnd(buf: Buffer): { end: number; status: number } | null {
  const head = buf.indexOf('\r\n\r\n');
  if (head < 0) return null;
  const header = buf.subarray(0, head).toString('latin1');
  const status = Number(header.slice(9, 12));
  const len = /\r\ncontent-length:\s*(\d+)/i.exec(header);
  if (len) {
    const end = head + 4 + Number(len[1]);
    return buf.length >= end ? { end, status } : null;
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(header)) {
    const term = buf.indexOf('\r\n0\r\n\r\n', head);
    return term < 0 ? null : { end: term + 7, status };
  }
  return { end: head + 4, status };
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const deadline = performance.now() + o.seconds * 1000;
  const started = performance.now();
  const one = (socket: Socket) =>
    new Promise<void>((resolve) => {
      let buf: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      const send = () => {
        if (performance.now() >= deadline) {
          socket.destroy();
          resolve();
          return;
        }
        sentAt = performance.now();
        socket.write(o.requests[next++ % o.requests.length]!);
      };
      socket.on('data', (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        const r = responseEnd(buf);
        if (!r) return;
        latencies.push(performance.now() - sentAt);
        if (r.status !== o.okStatus) errors++;
        buf = buf.subarray(r.end);
        send();
      });
      socket.on('error', () => {
        errors++;
        resolve();
      });
      socket.on('close', () => resolve());
      send();
    });
  const sockets = await Promise.all(
    Array.from({ length: o.connections }, () => new Promise<Socket>((resolve, reject) => {
      const s = connect(o.port, o.host, () => resolve(s));
      s.setNoDelay(true);
      s.once('error', reject);
    })),
  );
  await Promise.all(sockets.map(one));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requests: latencies.length, errors, seconds, rps: latencies.length / seconds, p50ms: at(0.5), p99ms: at(0.99) };
}
