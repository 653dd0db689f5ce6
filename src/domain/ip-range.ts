import { isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';
import { InvalidValueError } from '../errors.js';

/**
 * IP addresses and CIDR ranges as inclusive integer intervals.
 * As Go's net.ParseIP/ParseCIDR: no zones, no leading-zero IPv4 octets, host bits masked away.
 * IPv4-mapped IPv6 (`::ffff:192.0.2.1`, and mapped CIDRs of prefix ≥ 96) is IPv4, one consistent way
 * (crowdsecurity/crowdsec#3467), so a ban on the mapped form and on the plain form are the same ban.
 */
export interface IpRange {
  /** 4 or 16 bytes, as upstream's `ip_size`. */
  readonly size: 4 | 16;
  readonly start: bigint;
  readonly end: bigint;
  /** Prefix length (32 or 128 for a single address). */
  readonly prefix: number;
}

export class IpParseError extends InvalidValueError {
  override name = 'IpParseError';
}

function toBigInt(bytes: number[]): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/**
 * An IPv6 address without zone, or null. ipaddr.js reads the deprecated IPv4-compatible form `::1.2.3.4`
 * as the mapped `::ffff:1.2.3.4`; Go (and RFC 4291) keep it apart, so it goes in as `::0:1.2.3.4`.
 */
function parseV6(text: string): ipaddr.IPv6 | null {
  if (!isIPv6(text) || text.includes('%')) return null;
  return ipaddr.IPv6.parse(/^::\d+\.\d+\.\d+\.\d+$/.test(text) ? `::0:${text.slice(2)}` : text);
}

function parseAddress(text: string): { size: 4 | 16; value: bigint } | null {
  if (isIPv4(text)) return { size: 4, value: toBigInt(ipaddr.IPv4.parse(text).toByteArray()) };
  const v6 = parseV6(text);
  if (!v6) return null;
  if (v6.isIPv4MappedAddress()) return { size: 4, value: toBigInt(v6.toIPv4Address().toByteArray()) };
  return { size: 16, value: toBigInt(v6.toByteArray()) };
}

function span(size: 4 | 16, prefix: number): bigint {
  return (1n << BigInt(size * 8 - prefix)) - 1n;
}

/**
 * A dotted-quad IPv4 address as a 32-bit number, -1 when the text is anything else (Go's rules: four
 * decimal octets, no leading zeros). The bouncer hot path: no allocation, no BigInt.
 */
export function parseIPv4Number(text: string): number {
  const n = text.length;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1; // a leading zero
      octet = octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else return -1;
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + octet;
}

/** A single IPv4 address as a range. */
export function ipv4Range(n: number): IpRange {
  const v = BigInt(n);
  return { size: 4, start: v, end: v, prefix: 32 };
}

/** Parses an IP (`1.2.3.4`, `2001:db8::1`) or a CIDR (`1.2.3.0/24`). Throws IpParseError with upstream's message. */
export function parseIpOrRange(text: string): IpRange {
  return text.includes('/') ? parseCidr(text) : parseIp(text);
}

/** parseIpOrRange, or null for a value that is neither (a scope's value that is not an IP, say). */
export function ipOrRangeOrNull(text: string): IpRange | null {
  try {
    return parseIpOrRange(text);
  } catch (err) {
    if (err instanceof IpParseError) return null;
    throw err;
  }
}

export function parseIp(text: string): IpRange {
  const addr = parseAddress(text);
  if (!addr) throw new IpParseError(`invalid ip address '${text}'`);
  return { size: addr.size, start: addr.value, end: addr.value, prefix: addr.size * 8 };
}

export function parseCidr(text: string): IpRange {
  const invalid = () => new IpParseError(`invalid ip range '${text}': invalid CIDR address: ${text}`);
  const slash = text.indexOf('/');
  const bits = text.slice(slash + 1);
  // Go's dtoi: any run of decimal digits (`/024`, `/0024`); a long one is out of range below.
  if (!/^[0-9]+$/.test(bits)) throw invalid();
  const addrText = text.slice(0, slash);
  let prefix = Number(bits);
  const mapped = parseV6(addrText)?.isIPv4MappedAddress() ?? false;
  const addr = parseAddress(addrText);
  if (!addr) throw invalid();
  if (mapped) {
    if (prefix > 128) throw invalid();
    if (prefix < 96) throw invalid(); // a mapped range wider than ::ffff:0:0/96 is not an IPv4 range
    prefix -= 96;
  }
  if (prefix > addr.size * 8) throw invalid();
  const mask = span(addr.size, prefix);
  const start = addr.value & ~mask;
  return { size: addr.size, start, end: start | mask, prefix };
}

/** Whether `outer` contains `inner` (same family, bounds inclusive). */
export function rangeContains(outer: IpRange, inner: IpRange): boolean {
  return outer.size === inner.size && outer.start <= inner.start && outer.end >= inner.end;
}

/** Whether either range contains the other (allowlist matching). */
export function rangesNest(a: IpRange, b: IpRange): boolean {
  return rangeContains(a, b) || rangeContains(b, a);
}

/**
 * A bound as a fixed-width hex string: 8 chars for IPv4, 32 for IPv6. Compared as strings, these order
 * like the numbers on every engine, with no 64-bit signed-integer tricks.
 */
export function boundHex(size: 4 | 16, value: bigint): string {
  return value.toString(16).padStart(size * 2, '0');
}

/** The canonical text of a single address (`::ffff:1.2.3.4` → `1.2.3.4`). */
export function formatAddress(size: 4 | 16, value: bigint): string {
  if (size === 4) {
    const n = Number(value);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const bytes: number[] = [];
  for (let i = size - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

/** The canonical text of a range: `a.b.c.d` for a single address, `network/prefix` otherwise. */
export function formatRange(r: IpRange): string {
  const addr = formatAddress(r.size, r.start);
  return r.prefix === r.size * 8 ? addr : `${addr}/${r.prefix}`;
}
