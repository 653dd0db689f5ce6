import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { BadRequestError, PayloadTooLargeError } from '../errors.js';

/** Marker for a body that was present but empty (upstream's decoder says `EOF`). */
export const EMPTY_BODY = Symbol('empty body');

/** Register and login are unauthenticated: they get upstream's smaller cap. */
export const SMALL_BODY_BYTES = 2 * 1024 * 1024;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Overrides the body cap of one route, in bytes (after decompression). */
    maxBodyBytes?: number;
  }
}

/**
 * Reads every body as JSON whatever its Content-Type (as upstream, which never looks at it),
 * gunzipping `Content-Encoding: gzip`. The cap applies to the decompressed bytes and the stream is
 * abandoned as soon as it is passed, so a gzip bomb costs at most the cap in memory: 413.
 */
export function installBodyParser(app: FastifyInstance, defaultCap: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', async (req: FastifyRequest, payload: Readable) => {
    const cap = req.routeOptions.config?.maxBodyBytes ?? defaultCap;
    const text = await readCapped(decode(req, payload), cap);
    if (text.trim() === '') return EMPTY_BODY;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new BadRequestError(`invalid JSON body: ${(err as Error).message}`);
    }
  });
}

function decode(req: FastifyRequest, payload: Readable): Readable {
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding === 'gzip' || encoding === 'x-gzip') return payload.pipe(createGunzip());
  if (encoding === 'deflate') return payload.pipe(createInflate());
  if (encoding === 'identity' || encoding === '') return payload;
  throw new BadRequestError(`unsupported Content-Encoding '${encoding}'`);
}

async function readCapped(stream: Readable, cap: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size > cap) {
        stream.destroy();
        throw new PayloadTooLargeError();
      }
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof PayloadTooLargeError) throw err;
    throw new BadRequestError(`unreadable request body: ${(err as Error).message}`);
  }
  return Buffer.concat(chunks).toString('utf8');
}
