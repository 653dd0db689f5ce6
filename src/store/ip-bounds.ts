import type { IpRange } from '../domain/ip-range.js';

/** The range stored as fixed-width hex bounds, or null for scopes that are not IPs. */
export function rangeFromBounds(ipSize: number, startHex: string, endHex: string): IpRange | null {
  if (ipSize !== 4 && ipSize !== 16) return null;
  const start = BigInt(`0x${startHex}`);
  const end = endHex === startHex ? start : BigInt(`0x${endHex}`);
  const span = end - start + 1n;
  const prefix = ipSize * 8 - (span.toString(2).length - 1);
  return { size: ipSize as 4 | 16, start, end, prefix };
}
