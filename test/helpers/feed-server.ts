import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { After } from './context.js';

export type FeedHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface FeedServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** What the server answers; replace it between steps. */
  handler: FeedHandler;
  /** Each request's path and headers, in order. */
  requests: { path: string; headers: IncomingHttpHeaders }[];
}

/** A plain node:http server on 127.0.0.1 and a random port that serves feeds for the fetch tests; closed (connections too) when the test ends. */
export async function startFeedServer(t: After, handler: FeedHandler = (_req, res) => res.end()): Promise<FeedServer> {
  const sockets = new Set<Socket>();
  const state: FeedServer = { origin: '', handler, requests: [] };
  const server = createServer((req, res) => {
    state.requests.push({ path: req.url ?? '', headers: req.headers });
    state.handler(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return state;
}

/** A handler that serves `body` with an ETag and Last-Modified, answering 304 to a matching conditional request. */
export function conditionalFeed(get: () => { body: string; etag: string; lastModified: string }): FeedHandler {
  return (req, res) => {
    const { body, etag, lastModified } = get();
    if (req.headers['if-none-match'] === etag || (!req.headers['if-none-match'] && req.headers['if-modified-since'] === lastModified)) {
      res.writeHead(304, { etag, 'last-modified': lastModified }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', etag, 'last-modified': lastModified }).end(body);
  };
}
