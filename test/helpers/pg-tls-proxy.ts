import { connect, createServer, type Socket } from 'node:net';
import { TLSSocket, createSecureContext } from 'node:tls';

/** PostgreSQL's SSLRequest: length 8, then the code 1234·5679 (protocol "Message Formats"). */
const SSL_REQUEST_CODE = 80877103;

export interface PgTlsProxy {
  port: number;
  /** One entry per TLS session: the subject CN of the client certificate presented, or null. */
  clientCerts: (string | null)[];
  /** Connections that did not start with an SSLRequest (a client without TLS): closed at once. */
  plainAttempts: number;
  close(): Promise<void>;
}

/**
 * A TLS-terminating double of a PostgreSQL server: it reads the client's SSLRequest, answers 'S', runs the
 * server side of the handshake with `cert`/`key` (asking for a client certificate, never requiring one), then
 * pipes the decrypted stream to the real server at `upstream`. Listens on 127.0.0.1 and a free port.
 */
export async function startPgTlsProxy(opts: { cert: Buffer; key: Buffer; upstream: { host: string; port: number } }): Promise<PgTlsProxy> {
  const secureContext = createSecureContext({ cert: opts.cert, key: opts.key });
  const sockets = new Set<Socket>();
  const proxy: PgTlsProxy = { port: 0, clientCerts: [], plainAttempts: 0, close: async () => undefined };
  const server = createServer((raw) => {
    sockets.add(raw);
    raw.once('close', () => sockets.delete(raw));
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      if (head.length < 8) return;
      raw.off('data', onData);
      if (head.length !== 8 || head.readInt32BE(0) !== 8 || head.readInt32BE(4) !== SSL_REQUEST_CODE) {
        proxy.plainAttempts++;
        raw.destroy();
        return;
      }
      raw.write('S');
      const tls = new TLSSocket(raw, { isServer: true, secureContext, requestCert: true, rejectUnauthorized: false });
      tls.on('error', () => raw.destroy());
      tls.once('secure', () => {
        const peer = tls.getPeerCertificate();
        proxy.clientCerts.push(peer?.subject ? String(peer.subject.CN) : null);
        const up = connect(opts.upstream.port, opts.upstream.host);
        sockets.add(up);
        up.once('close', () => sockets.delete(up));
        up.on('error', () => tls.destroy());
        tls.pipe(up).pipe(tls);
      });
    };
    raw.on('data', onData);
    raw.on('error', () => raw.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as { port: number }).port;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
