import { connect } from 'node:net';

/** What came back on one raw connection: the answers parsed in order, and how the connection ended. */
export interface RawResult {
  statuses: number[];
  /** Bodies of the answers, in order. */
  bodies: string[];
  /** `closed` (FIN from the server), `reset` (ECONNRESET/EPIPE), or `timeout` (no close within the wait). */
  end: 'closed' | 'reset' | 'timeout';
  bytes: number;
}

/**
 * Writes `chunks` on a fresh connection (one write each, `gapMs` apart, then a FIN if `halfClose`) and
 * reads until the server closes it or `waitMs` passes. Never rejects: a reset is a result.
 */
export function rawExchange(
  to: { host: string; port: number },
  chunks: (string | Buffer)[],
  opts: { waitMs?: number; gapMs?: number; head?: boolean; halfClose?: boolean } = {},
): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = connect(to.port, to.host);
    const got: Buffer[] = [];
    let end: RawResult['end'] = 'timeout';
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const all = Buffer.concat(got);
      resolve({ ...parseAnswers(all, opts.head ?? false), end, bytes: all.length });
    };
    const timer = setTimeout(finish, opts.waitMs ?? 5000);
    socket.on('data', (d: Buffer) => got.push(d));
    socket.on('end', () => {
      end = 'closed';
      finish();
    });
    socket.on('error', () => {
      end = 'reset';
      finish();
    });
    socket.on('connect', async () => {
      for (const c of chunks) {
        if (socket.destroyed) return;
        socket.write(c);
        if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
      }
      // nothing more will come: a request left incomplete is the server's to refuse, not to wait for
      if (opts.halfClose && !socket.destroyed) socket.end();
    });
  });
}

/** Splits a byte stream into HTTP/1.x answers (Content-Length or chunked bodies; none after a HEAD or a 1xx/204/304). */
export function parseAnswers(buf: Buffer, head: boolean): { statuses: number[]; bodies: string[] } {
  const statuses: number[] = [];
  const bodies: string[] = [];
  let at = 0;
  while (at < buf.length) {
    const headEnd = buf.indexOf('\r\n\r\n', at);
    if (headEnd === -1) break;
    const lines = buf.subarray(at, headEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
    if (!m) break;
    const status = Number(m[1]);
    const headers = new Map(
      lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    at = headEnd + 4;
    let body: Buffer = Buffer.alloc(0);
    const bodyless = head || status < 200 || status === 204 || status === 304;
    if (!bodyless && headers.get('transfer-encoding') === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', at);
        if (lineEnd === -1) break;
        const size = parseInt(buf.subarray(at, lineEnd).toString('latin1'), 16);
        at = lineEnd + 2;
        if (!(size > 0)) {
          at += 2;
          break;
        }
        parts.push(buf.subarray(at, at + size));
        at += size + 2;
      }
      body = Buffer.concat(parts);
    } else if (!bodyless) {
      const n = Number(headers.get('content-length') ?? (headers.get('connection') === 'close' ? buf.length - at : 0));
      body = buf.subarray(at, at + n);
      at += n;
    }
    // a 100 Continue is an answer of its own here, followed by the real one
    statuses.push(status);
    bodies.push(body.toString('utf8'));
  }
  return { statuses, bodies };
}
