import { formatRange, parseIPv4Number, parseIpOrRange, IpParseError } from './ip-range.js';

/**
 * Plain-text IP feeds (FireHOL's `.netset`, Spamhaus DROP, most "one address per line" lists): one IP or
 * CIDR per line, `#` or `;` comments, values normalised to the text the rest of Lapis uses.
 */
export interface FeedText {
  /** Valid values, normalised (`1.2.3.4`, `10.0.0.0/8`, `2001:db8::/32`), each once, in feed order. */
  values: string[];
  /** Lines that hold something other than an IP or CIDR: 1-based line number, text cut to 100 characters. */
  invalid: { line: number; text: string }[];
  /** Entry lines read: neither blank nor a full-line comment (valid and invalid ones, duplicates included). */
  lines: number;
}

export interface FeedTextOptions {
  /**
   * Parsing stops once `values` holds one more than this, so an oversized feed is seen as such
   * (`values.length > maxEntries`) without holding all of it; `lines` and `invalid` then stop there too.
   */
  maxEntries?: number;
}

/** Longest excerpt of an invalid line kept for the error message. */
const EXCERPT = 100;

function isCommentStart(c: number): boolean {
  return c === 35 /* # */ || c === 59 /* ; */;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 11 || c === 12;
}

/**
 * A dotted-quad IPv4 address or IPv4 CIDR with a one- or two-digit prefix, normalised without BigInt
 * (the bulk of any feed); null for anything else, which then takes the general path.
 */
function fastIPv4(value: string): string | null {
  const slash = value.indexOf('/');
  if (slash === -1) return parseIPv4Number(value) === -1 ? null : value;
  const bits = value.slice(slash + 1);
  if (!/^[0-9]{1,2}$/.test(bits) || (bits.length === 2 && bits[0] === '0')) return null;
  const prefix = Number(bits);
  const n = parseIPv4Number(value.slice(0, slash));
  if (n === -1 || prefix > 32) return null;
  if (prefix === 32) return value.slice(0, slash);
  const size = 2 ** (32 - prefix);
  const start = n - (n % size);
  if (start === n) return value;
  return `${start >>> 24}.${(start >>> 16) & 255}.${(start >>> 8) & 255}.${start & 255}/${prefix}`;
}

/** The normalised form of one IP or CIDR (as `formatRange(parseIpOrRange(v))`), or null when it is neither. */
export function normaliseFeedValue(value: string): string | null {
  const fast = fastIPv4(value);
  if (fast !== null) return fast;
  try {
    return formatRange(parseIpOrRange(value));
  } catch (err) {
    if (err instanceof IpParseError) return null;
    throw err;
  }
}

/**
 * Reads a feed. Blank lines and full-line comments (`#` or `;` after optional whitespace) are skipped; on
 * an entry line the value ends at the first whitespace, `#` or `;`, and the rest is a comment
 * (`1.10.16.0/20 ; SBL256894`, `1.2.3.4\t# scanner`). CRLF and a leading UTF-8 BOM are tolerated. A CIDR
 * with host bits set is masked, a `/32` or `/128` prints as the address. Never throws.
 */
export function parseFeedText(text: string, opts: FeedTextOptions = {}): FeedText {
  const max = opts.maxEntries ?? Number.POSITIVE_INFINITY;
  const seen = new Set<string>();
  const invalid: FeedText['invalid'] = [];
  let lines = 0;
  let lineNo = 0;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (pos <= text.length && seen.size <= max) {
    let eol = text.indexOf('\n', pos);
    if (eol === -1) eol = text.length;
    lineNo++;
    let i = pos;
    while (i < eol && isSpace(text.charCodeAt(i))) i++;
    if (i < eol && !isCommentStart(text.charCodeAt(i))) {
      lines++;
      let j = i;
      while (j < eol && !isSpace(text.charCodeAt(j)) && !isCommentStart(text.charCodeAt(j))) j++;
      const value = normaliseFeedValue(text.slice(i, j));
      if (value !== null) seen.add(value);
      else invalid.push({ line: lineNo, text: text.slice(i, Math.min(eol, i + EXCERPT)).trimEnd() });
    }
    pos = eol + 1;
  }
  return { values: [...seen], invalid, lines };
}

/**
 * Whether a parsed feed is not a feed at all: entry lines but no valid value (an HTML error page served
 * with 200, binary junk), or more invalid entry lines than half of them. A feed of comments only is not
 * garbage: it is an empty list.
 */
export function isGarbage(r: FeedText): boolean {
  if (r.values.length === 0 && r.lines > 0) return true;
  return r.invalid.length * 2 > r.lines;
}

/** The one-line reason `isGarbage` gives, for the list's status (`feed returned no valid IP or CIDR (…)`). */
export function garbageMessage(r: FeedText): string {
  const first = r.invalid[0];
  const sample = first ? `, first at line ${first.line}: '${printable(first.text)}'` : '';
  const counts = `${r.invalid.length} of ${r.lines} lines invalid${sample}`;
  return r.values.length === 0 ? `feed returned no valid IP or CIDR (${counts})` : `feed is mostly not IPs or CIDRs (${counts})`;
}

/** Control characters and the replacement character of undecodable bytes shown as `?`, so a status stays one printable line. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\ufffd]/g, '?');
}
