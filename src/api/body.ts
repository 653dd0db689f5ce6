import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { BadRequestError, LapisError, PayloadTooLargeError } from '../errors.js';
import { nulProblem, tooDeep } from './json-guards.js';

/** Marker for a body that was present but empty (upstream's decoder says `EOF`). */
export const EMPTY_BODY = Symbol('empty body');

/** Register and login are unauthenticated: they get upstream's smaller cap. */
export const SMALL_BODY_BYTES = 2 * 1024 * 1024;

/**
 * After a refusal, what is left of the body is read and thrown away (up to this much), so the answer
 * reaches a client still sending: closing at once would reset the connection under it.
 */
const DISCARD_MAX_BYTES = 64 * 1024 * 1024;
/** How long a connection closing after a refusal keeps reading what the client still sends. */
const LINGER_MS = 5000;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Overrides the body cap of one route, in bytes (after decompression). */
    maxBodyBytes?: number;
    /** The route reads its body as bytes (a multipart upload), not as JSON: the handler gets a Buffer, capped the same way. */
    rawBody?: boolean;
  }
}

/** Too many request bytes held at once by this listener: the client may retry shortly. */
export class BodyBudgetError extends LapisError {
  readonly statusCode = 503;
  readonly code = 'BODY_BUDGET';
  constructor() {
    super('server busy: too many request bodies in flight, retry later');
  }
}

export interface BodyLimits {
  /** The cap of one body after decompression, unless a route sets its own. */
  maxBodyBytes: number;
  /** The bytes every body being read on this listener may hold together. */
  maxInflightBytes: number;
}

/**
 * Reads every body as JSON whatever its Content-Type (as upstream, which never looks at it),
 * gunzipping `Content-Encoding: gzip`. The cap applies to the decompressed bytes; a declared
 * Content-Length above it is refused before anything is read, and a stream that passes it is
 * abandoned at once, so a gzip bomb costs at most the cap in memory: 413. Bodies being read share one
 * budget per listener, so many concurrent large bodies get 503 rather than the process's memory.
 * Strings holding NUL and values nested deeper than MAX_JSON_DEPTH are a 400 naming where they are.
 */
export function installBodyParser(app: FastifyInstance, limits: BodyLimits): void {
  let inflight = 0;
  // Fastify closes the connection after a body it could not parse; with the rest of the body unread, that
  // close resets the connection under a client still sending, which then never reads our answer.
  // Keep-alive instead, while the rest is thrown away (bounded by DISCARD_MAX_BYTES and the request timeout).
  app.addHook('onSend', (req, reply, payload, done) => {
    if (discarding.has(req.raw)) reply.removeHeader('connection');
    done(null, payload);
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', async (req: FastifyRequest, payload: Readable) => {
    const cap = req.routeOptions.config?.maxBodyBytes ?? limits.maxBodyBytes;
    const declared = Number(req.headers['content-length']);
    if (declared > cap) {
      discard(req.raw);
      throw new PayloadTooLargeError();
    }
    let held = 0;
    const take = (n: number) => {
      if (inflight + n > limits.maxInflightBytes) throw new BodyBudgetError();
      inflight += n;
      held += n;
    };
    let bytes: Buffer;
    try {
      bytes = await readCapped(req.raw, decode(req, payload), cap, take);
    } finally {
      inflight -= held;
    }
    if (req.routeOptions.config?.rawBody) return bytes;
    const text = bytes.toString('utf8');
    if (text.trim() === '') return EMPTY_BODY;
    if (tooDeep(text)) throw new BadRequestError('invalid JSON body: nested too deeply');
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch (err) {
      throw new BadRequestError(`invalid JSON body: ${(err as Error).message}`);
    }
    // PostgreSQL cannot store NUL in text, and no CrowdSec field means one: refused on every engine alike
    const nul = text.includes('\\u0000') ? nulProblem(value) : undefined;
    if (nul !== undefined) throw new BadRequestError(`invalid value for '${nul}': NUL characters are not allowed`);
    return value;
  });
}

function decode(req: FastifyRequest, payload: Readable): Readable {
  const encoding = String(req.headers['content-encoding'] ?? 'identity')
    .toLowerCase()
    .trim();
  if (encoding === 'gzip' || encoding === 'x-gzip') return payload.pipe(createGunzip());
  if (encoding === 'deflate') return payload.pipe(createInflate());
  if (encoding === 'identity' || encoding === '') return payload;
  discard(req.raw);
  throw new BadRequestError(`unsupported Content-Encoding '${encoding}'`);
}

/**
 * Reads `stream` (the request, or its decoder) up to `cap` bytes. On any refusal the decoder is
 * dropped but the request itself is not destroyed: destroying it would reset the connection before
 * the answer is written (curl: "Connection reset by peer" instead of the 413).
 */
async function readCapped(raw: IncomingMessage, stream: Readable, cap: number, take: (n: number) => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream.iterator({ destroyOnReturn: false })) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > cap) throw new PayloadTooLargeError();
      take(buf.length);
      chunks.push(buf);
    }
  } catch (err) {
    if (stream !== raw) {
      raw.unpipe(stream as unknown as NodeJS.WritableStream);
      stream.destroy();
    }
    discard(raw);
    if (err instanceof LapisError) throw err;
    throw new BadRequestError(`unreadable request body: ${(err as Error).message}`);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Throws away what is left of a refused body, so that the client, still sending, reads our answer
 * instead of a reset. Bounded in bytes here (DISCARD_MAX_BYTES), and in time by the request timeout.
 */
const discarding = new WeakSet<IncomingMessage>();

function discard(raw: IncomingMessage): void {
  if (raw.readableEnded || raw.destroyed) return;
  discarding.add(raw);
  lingerOnClose(raw.socket);
  let thrown = 0;
  raw.on('data', (chunk: Buffer) => {
    thrown += chunk.length;
    if (thrown > DISCARD_MAX_BYTES) raw.socket?.destroy();
  });
  raw.resume();
}

/**
 * When the connection must close after the answer (the client sent `Connection: close`), node ends and
 * destroys the socket as soon as the answer is written; with the client still sending, the kernel then
 * resets the connection, which can destroy the answer before the client reads it. A lingering close
 * instead: send FIN after the answer, keep reading until the client closes, for at most LINGER_MS.
 */
function lingerOnClose(socket: Socket | null): void {
  if (!socket) return;
  (socket as Socket & { destroySoon(): void }).destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
}
