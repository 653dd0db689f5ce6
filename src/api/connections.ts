import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Limits } from '../config/schema.js';

/**
 * The http server options that bound slow clients. Node checks the header and request timeouts every
 * `connectionsCheckingInterval`, 30 s by default: far too coarse for a 10 s header timeout.
 */
export function slowClientOptions(limits: Limits): {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionsCheckingInterval: number;
} {
  return {
    headersTimeout: limits.readHeaderTimeoutMs,
    requestTimeout: Math.max(limits.readTimeoutMs, limits.readHeaderTimeoutMs),
    keepAliveTimeout: limits.idleTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, limits.readHeaderTimeoutMs),
  };
}

/**
 * Applies the timeouts to a listening server (node's setters, for servers built before the config was
 * known) and caps its connections. Node's own `maxConnections` refuses the newcomer, so thousands of
 * slowloris sockets would keep a bouncer out until they time out; here the newcomer is kept and the
 * oldest connection with no request in progress (idle keep-alive, or still sending its headers) is
 * closed instead. Connections busy with a request (a body being read, a stream being written) stay.
 * On TLS the cap counts finished handshakes; the server's `handshakeTimeout` bounds the others.
 */
export interface ConnectionGuard {
  /**
   * For a closing server: node stops enforcing its timeouts once `close()` is called, so a connection
   * still sending headers would hold the close for ever. Those without a request go now; those with one
   * get `graceMs` to finish.
   */
  shutdown(graceMs: number): void;
}

export function guardConnections(server: HttpServer | HttpsServer, limits: Limits): ConnectionGuard {
  const opts = slowClientOptions(limits);
  server.headersTimeout = opts.headersTimeout;
  server.requestTimeout = opts.requestTimeout;
  server.keepAliveTimeout = opts.keepAliveTimeout;
  const tls = server instanceof HttpsServer;
  // a hard backstop (node refuses newcomers past it): on TLS, sockets still in their handshake count here only
  server.maxConnections = limits.maxConnections * 2;
  const open = new Set<Socket>();
  const busy = new WeakSet<Socket>();
  server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    if (open.size <= limits.maxConnections) return;
    for (const old of open) {
      if (old === socket) break;
      if (!busy.has(old)) {
        old.destroy();
        return;
      }
    }
    socket.destroy();
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    busy.add(socket);
    const done = () => busy.delete(socket);
    res.once('finish', done);
    res.once('close', done);
  });
  return {
    shutdown(graceMs) {
      for (const s of open) if (!busy.has(s)) s.destroy();
      const timer = setTimeout(() => {
        for (const s of open) s.destroy();
      }, graceMs);
      timer.unref();
    },
  };
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'request not received in time'],
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'request headers too large'],
};

/**
 * Requests node's parser refuses (bad framing, bad characters, headers too large or too slow) never reach
 * Fastify: they are answered here, `{"message"}` as every other refusal, and the connection is closed
 * (`Connection: close`, so a keep-alive client does not read the next answer from a dead parser).
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Bad Request', 'malformed request'];
  const body = JSON.stringify({ message });
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
  }
  // what the client still sends is not read: the socket goes once the answer is out, or after a second
  setTimeout(() => socket.destroy(), 1000).unref();
}
