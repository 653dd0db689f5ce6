import busboy from 'busboy';
import { BadRequestError, PayloadTooLargeError } from '../errors.js';

/**
 * One file field of a `multipart/form-data` body (RFC 7578), the only shape the blocklist upload takes. The
 * body is already read (and capped) by body.ts; busboy, the parser multer and @fastify/multipart use, reads the
 * parts from it.
 */

/** The content of the first part named `field`, or a 400 (not a form, malformed, no such part); a part over `maxBytes` is a 413. */
export function multipartField(body: Buffer, contentType: string | undefined, field: string, maxBytes: number): Promise<Buffer> {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'multipart/form-data')
    return Promise.reject(
      new BadRequestError(`expected a multipart/form-data body with a field '${field}', got Content-Type '${contentType ?? ''}'`),
    );
  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: { 'content-type': contentType }, limits: { fileSize: maxBytes, files: 10, fields: 100, parts: 110 } });
  } catch (err) {
    return Promise.reject(new BadRequestError(`malformed multipart/form-data: ${(err as Error).message}`));
  }
  return new Promise((resolve, reject) => {
    let found: Buffer | null = null;
    let tooLarge = false;
    const fail = (err: Error) => reject(err);
    bb.on('file', (name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => {
        if (name === field && found === null) chunks.push(c);
      });
      // a part cut short: busboy says so on the part and on the form (below)
      stream.on('error', () => undefined);
      stream.on('limit', () => {
        if (name === field) tooLarge = true;
      });
      stream.on('end', () => {
        if (name === field && found === null && !tooLarge) found = Buffer.concat(chunks);
      });
    });
    // a plain (non-file) field of that name, as `curl -F 'file=<x.txt'` sends it
    bb.on('field', (name, value) => {
      if (name === field && found === null) found = Buffer.from(value);
    });
    bb.on('error', (err: Error) => fail(new BadRequestError(`malformed multipart/form-data: ${err.message}`)));
    bb.on('close', () => {
      if (tooLarge) fail(new PayloadTooLargeError());
      else if (found === null) fail(new BadRequestError(`multipart/form-data body has no field '${field}'`));
      else resolve(found);
    });
    bb.end(body);
  });
}
