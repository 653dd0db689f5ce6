import { connect, type Socket } from 'node:net';

/** A raw TCP connection to a test listener, for what fetch would not send (partial headers, bad framing). */
export function rawConnect(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: hostname, port: Number(port) }, () => resolve(s));
    s.once('error', reject);
  });
}

export interface RawAnswer {
  /** Everything the server sent before it closed or `untilText` appeared. */
  text: string;
  /** How the connection ended: still open, closed cleanly, or reset. */
  ended: 'open' | 'closed' | 'reset';
}

/**
 * Collects what the server sends until it closes, until `untilText` has arrived, or `timeoutMs` passes.
 * A reset is reported, not thrown: some tests assert that none happens.
 */
export function readAnswer(s: Socket, opts: { untilText?: RegExp; timeoutMs?: number } = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    let text = '';
    const finish = (ended: RawAnswer['ended']) => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('close', onClose);
      s.off('error', onError);
      resolve({ text, ended });
    };
    const onData = (b: Buffer) => {
      text += b.toString('latin1');
      if (opts.untilText?.test(text)) finish('open');
    };
    const onClose = () => finish('closed');
    const onError = (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'reset' : 'closed');
    const timer = setTimeout(() => finish('open'), opts.timeoutMs ?? 5000);
    s.on('data', onData);
    s.once('close', onClose);
    s.once('error', onError);
  });
}

/** A complete response: status line, headers and a body of the announced length. */
export const COMPLETE_RESPONSE = /^HTTP\/1\.1 \d{3}[\s\S]*?\r\n\r\n/;

/** Splits a raw response into status, headers (lower-cased names) and body. */
export function parseRaw(text: string): { status: number; headers: Record<string, string>; body: string } {
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const body = rest.join('\r\n\r\n');
  const length = Number(headers['content-length'] ?? body.length);
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.slice(0, length) };
}
