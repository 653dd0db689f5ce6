import type { FastifyRequest } from 'fastify';
import { IpParseError, parseIp, parseIpOrRange, rangeContains, formatRange, type IpRange } from '../domain/ip-range.js';

export interface ClientIpPolicy {
  /** Forwarded headers are read only when the peer is one of these (gin's ClientIP). Empty = never. */
  trustedProxies: IpRange[];
}

/**
 * As upstream (pkg/apiserver/apiserver.go, gin's trusted proxies): forwarded headers are off unless `use_forwarded_for_headers` or
 * `trusted_proxies` is set; either turns the other on, and the flag alone trusts every IPv4 proxy
 * (upstream's 0.0.0.0/0): an IPv6 peer's forwarded headers are then ignored, so it cannot name its address.
 */
export function clientIpPolicy(useForwarded: boolean, trustedProxies: readonly string[] | undefined): ClientIpPolicy {
  if (!useForwarded && (trustedProxies === undefined || trustedProxies.length === 0)) return { trustedProxies: [] };
  const list = trustedProxies && trustedProxies.length > 0 ? trustedProxies : ['0.0.0.0/0'];
  return { trustedProxies: list.map(parseIpOrRange) };
}

// Peers repeat: bouncers hold keep-alive connections and ask many times a second.
const canonical = new Map<string, string>();

/** `::ffff:1.2.3.4` → `1.2.3.4`: the peer address in the one form we store. */
export function canonicalIp(text: string): string {
  let out = canonical.get(text);
  if (out === undefined) {
    try {
      out = formatRange(parseIp(text));
    } catch {
      out = text;
    }
    if (canonical.size > 10_000) canonical.clear();
    canonical.set(text, out);
  }
  return out;
}

function trusted(policy: ClientIpPolicy, ip: string): boolean {
  try {
    const r = parseIp(ip);
    return policy.trustedProxies.some((p) => rangeContains(p, r));
  } catch (err) {
    if (err instanceof IpParseError) return false;
    throw err;
  }
}

/** The client IP: the peer, or with a trusted peer the right-most untrusted X-Forwarded-For hop, then X-Real-IP. */
export function clientIp(policy: ClientIpPolicy, req: Pick<FastifyRequest, 'headers' | 'socket'>): string {
  const peer = canonicalIp(req.socket.remoteAddress ?? '127.0.0.1');
  if (policy.trustedProxies.length === 0 || !trusted(policy, peer)) return peer;
  const xff = req.headers['x-forwarded-for'];
  if (typeof xff === 'string' && xff.trim() !== '') {
    const hops = xff
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = canonicalIp(hops[i]!);
      if (!isIp(hop)) break;
      if (i === 0 || !trusted(policy, hop)) return hop;
    }
  }
  const real = req.headers['x-real-ip'];
  if (typeof real === 'string' && isIp(real.trim())) return canonicalIp(real.trim());
  return peer;
}

function isIp(s: string): boolean {
  try {
    parseIp(s);
    return true;
  } catch {
    return false;
  }
}
