import type { IpRange } from '../domain/ip-range.js';

/** The range stored as fixed-width hex bounds, or null for scopes that are not IPs. */
export function rangeFromBounds(ipSize: number, startHex: string, endHex: string): IpRange | null {
  if (ipSize !== 4 && ipSize !== 16) return null;
  if (ipSize === 4) {
    // IPv4 in plain numbers (a blocklist's content reads a million of these): the block's size is a power of two
    const a = Number.parseInt(startHex, 16);
    const b = endHex === startHex ? a : Number.parseInt(endHex, 16);
    const span = b - a + 1;
    const prefix = span === 2 ** 32 ? 0 : 32 - (31 - Math.clz32(span));
    return { size: 4, start: BigInt(a), end: BigInt(b), prefix };
  }
  const start = BigInt(`0x${startHex}`);
  const end = endHex === startHex ? start : BigInt(`0x${endHex}`);
  const span = end - start + 1n;
  const prefix = ipSize * 8 - (span.toString(2).length - 1);
  return { size: ipSize as 4 | 16, start, end, prefix };
}
