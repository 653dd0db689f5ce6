import { BadRequestError, PayloadTooLargeError } from '../errors.js';

/**
 * One file field of a `multipart/form-data` body (RFC 7578), the only shape the blocklist upload takes:
 * the body is already read (and capped) by body.ts, so this is a search for the part named `field`.
 * Parts are delimited by `--<boundary>` lines ending in CRLF, as curl, browsers and every HTTP library send them.
 */

/** The boundary of a `multipart/form-data` Content-Type, or a 400 saying what is wrong. */
export function multipartBoundary(contentType: string | undefined): string {
  const [type = '', ...params] = (contentType ?? '').split(';');
  if (type.trim().toLowerCase() !== 'multipart/form-data')
    throw new BadRequestError(`expected a multipart/form-data body with a field 'file', got Content-Type '${contentType ?? ''}'`);
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    let b = p.slice(eq + 1).trim();
    if (b.length >= 2 && b.startsWith('"') && b.endsWith('"')) b = b.slice(1, -1);
    // RFC 2046: 1 to 70 characters
    if (b.length >= 1 && b.length <= 70) return b;
  }
  throw new BadRequestError('multipart/form-data without a valid boundary parameter');
}

/** The `name` of a part from its headers (Content-Disposition: form-data; name="file"; filename="x.txt"). */
function partName(head: string): string | null {
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim().toLowerCase() !== 'content-disposition') continue;
    const m = /;\s*name\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(line.slice(colon + 1));
    if (m) return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? null);
  }
  return null;
}

/**
 * The content of the first part named `field`, or a 400: no such part, or a body that is not well-formed
 * multipart. A part larger than `maxBytes` is a 413. Never copies the body: the result is a view of it.
 */
export function multipartField(body: Buffer, contentType: string | undefined, field: string, maxBytes: number): Buffer {
  const boundary = multipartBoundary(contentType);
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const next = Buffer.from(`\r\n--${boundary}`, 'latin1');
  const malformed = (why: string) => new BadRequestError(`malformed multipart/form-data body: ${why}`);
  // the preamble (usually empty) ends at the first delimiter
  let at = body.indexOf(delimiter);
  if (at < 0) throw malformed('no boundary line');
  at += delimiter.length;
  for (;;) {
    if (body[at] === 0x2d && body[at + 1] === 0x2d) break; // `--`: the closing delimiter
    // the rest of the delimiter line: optional whitespace, then CRLF
    const eol = body.indexOf('\r\n', at, 'latin1');
    if (eol < 0 || body.subarray(at, eol).toString('latin1').trim() !== '') throw malformed('a boundary line does not end with CRLF');
    const headEnd = body.indexOf('\r\n\r\n', eol, 'latin1');
    if (headEnd < 0) throw malformed('a part has no end of headers');
    const start = headEnd + 4;
    const end = body.indexOf(next, start);
    if (end < 0) throw malformed('no closing boundary');
    const content = body.subarray(start, end);
    if (partName(body.subarray(eol + 2, headEnd).toString('utf8')) === field) {
      if (content.length > maxBytes) throw new PayloadTooLargeError();
      return content;
    }
    at = end + next.length;
  }
  throw new BadRequestError(`multipart/form-data body has no field '${field}'`);
}
