import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Logger } from 'pino';
import type { Limits, MirrorConfig, MirrorEndpoint } from '../../config/schema.js';
import { type DecisionFilter, parseDecisionFilter } from '../../domain/decision-filter.js';
import { remainingDuration } from '../../domain/duration.js';
import {
  aggregateMirrorDecisions,
  formatMirror,
  type MirrorDecision,
  type MirrorQuery,
  mirrorRegistry,
  parseMirrorQuery,
  selectMirrorDecisions,
} from '../../domain/mirror-formats.js';
import type { AllowlistCache } from '../../engine/allowlists.js';
import type { DecisionFeed } from '../../engine/decision-feed.js';
import { InvalidValueError } from '../../errors.js';
import { guardConnections, slowClientOptions } from '../connections.js';
import { BASIC_CHALLENGE, checkMirrorAuth } from './auth.js';

/**
 * cs-blocklist-mirror's endpoints served by Lapis itself (issue #14, #8): the same paths, formats, query
 * parameters, auth answers and headers as the mirror (pkg/server/server.go), fed from this instance's
 * decision index instead of a stream pulled from a LAPI. A plain node server: like Go's ServeMux, an endpoint
 * answers any method on its exact path, and there is nothing else to route.
 */

export interface MirrorSource {
  readonly feed: DecisionFeed;
  readonly allowlists: AllowlistCache;
}

export interface RunningMirror {
  /** The address actually bound (a `:0` port resolved). */
  readonly url: string;
  /** HTTPS only: the certificate for the handshakes from now on (SIGHUP); open connections keep theirs. */
  readonly setSecureContext?: ((options: SecureContextOptions) => void) | undefined;
  close(): Promise<void>;
}

/** The bouncer whose allowlists apply to what the mirror serves: `org` lists, and lists subscribed for this name or its tags. */
export const MIRROR_BOUNCER = 'crowdsec-blocklist-mirror';

const gzipAsync = promisify(gzip);

/** Go's http.Error: its headers and `message\n`; the gzip middleware, which wraps everything, still applies. */
async function sendError(res: ServerResponse, status: number, message: string, zip: boolean): Promise<void> {
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  await send(res, status, `${message}\n`, zip);
}

async function send(res: ServerResponse, status: number, text: string, zip: boolean): Promise<void> {
  let body = Buffer.from(text);
  if (zip) {
    // Go writes no Content-Type then: it sniffs only bodies without a Content-Encoding
    res.setHeader('Content-Encoding', 'gzip');
    body = await gzipAsync(body);
  } else if (body.length > 0 && !res.hasHeader('Content-Type')) {
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  }
  res.writeHead(status, { 'Content-Length': body.length });
  res.end(body);
}

/** The endpoint for a request path: the exact path, or, for an endpoint ending in `/`, anything below it (ServeMux). */
function route(endpoints: readonly MirrorEndpoint[], path: string): MirrorEndpoint | undefined {
  return endpoints.find((e) => e.endpoint === path) ?? endpoints.find((e) => e.endpoint.endsWith('/') && path.startsWith(e.endpoint));
}

function pathOf(url: string): string | null {
  const q = url.indexOf('?');
  try {
    return decodeURIComponent(q < 0 ? url : url.slice(0, q));
  } catch {
    return null;
  }
}

/** What the mirror would hold now: the stream's startup view, one decision per value, durations as LAPI writes them. */
function registry(source: MirrorSource, filter: DecisionFilter, now: number): MirrorDecision[] {
  const view = source.allowlists.viewFor({ kind: 'bouncer', name: MIRROR_BOUNCER }, now);
  const decisions = source.feed.index.snapshot(filter, now, view).new;
  return mirrorRegistry(
    decisions.map((d) => ({
      value: d.value,
      scope: d.scope,
      type: d.type,
      origin: d.origin,
      scenario: d.scenario,
      duration: remainingDuration(d.until, now),
    })),
  );
}

/** The request handler for every endpoint of `config`. `now` is for tests. */
export function mirrorHandler(
  config: MirrorConfig,
  source: MirrorSource,
  log: Logger,
  now: () => number = Date.now,
): (req: IncomingMessage, res: ServerResponse) => void {
  // the filter the mirror's stream pull would carry, as LAPI reads it (scopes default to ip and range)
  const filter = parseDecisionFilter({ ...config.streamQuery }, ['ip', 'range']);
  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = pathOf(req.url ?? '/');
    const endpoint = path === null ? undefined : route(config.blocklists, path);
    if (!endpoint) return sendError(res, 404, '404 page not found', false);
    const zip = (req.headers['accept-encoding'] ?? '').includes('gzip');
    const verdict = checkMirrorAuth(endpoint.auth, req.socket.remoteAddress, req.headers.authorization);
    if (verdict === 'unauthorized') res.setHeader('WWW-Authenticate', BASIC_CHALLENGE);
    if (verdict === 'unauthorized') return sendError(res, 401, 'access denied', zip);
    if (verdict === 'forbidden') return sendError(res, 403, 'access denied', zip);
    if (verdict === 'error') return sendError(res, 500, 'internal error', zip);
    const params = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    // only mikrotik writes the list name: elsewhere it is not looked at
    if (endpoint.format !== 'mikrotik') params.delete('listname');
    let q: MirrorQuery;
    try {
      q = parseMirrorQuery(params);
    } catch (err) {
      if (err instanceof InvalidValueError) return sendError(res, 400, err.message, zip);
      throw err;
    }
    const at = now();
    const held = registry(source, filter, at);
    const list = endpoint.aggregate ? aggregateMirrorDecisions(held, q) : selectMirrorDecisions(held, q, config.supportedTypes);
    if (list.length === 0) return sendError(res, 404, 'no decisions available', zip);
    return send(res, 200, formatMirror(endpoint.format, list, q), zip);
  };
  return (req, res) => {
    answer(req, res).catch((err: unknown) => {
      log.error({ err, url: req.url }, 'blocklist mirror: request failed');
      if (!res.headersSent) void sendError(res, 500, 'internal error', false).catch(() => res.destroy());
      else res.destroy();
    });
  };
}

/** What Go's server answers a request it cannot parse. */
function plainClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable)
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request');
  setTimeout(() => socket.destroy(), 1000).unref();
}

/**
 * Listens on `blocklist_mirror.listen_uri` (HTTPS when `tls` names both files, read now so that a missing file
 * fails the start), with the Local API's limits on slow and numerous clients.
 */
export async function startMirror(config: MirrorConfig, limits: Limits, source: MirrorSource, log: Logger): Promise<RunningMirror> {
  const handler = mirrorHandler(config, source, log);
  const options = slowClientOptions(limits);
  const https = config.tls
    ? createHttpsServer({ ...options, cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) }, handler)
    : undefined;
  const server: HttpServer | HttpsServer = https ?? createHttpServer(options, handler);
  guardConnections(server, limits);
  server.on('clientError', plainClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: config.listen.host, port: config.listen.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  let closing: Promise<void> | undefined;
  return {
    url: `${config.tls ? 'https' : 'http'}://${host}:${port}`,
    setSecureContext: https && ((options) => https.setSecureContext(options)),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
