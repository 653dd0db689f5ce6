import { createHash, timingSafeEqual } from 'node:crypto';
import type { MirrorAuth } from '../../config/schema.js';
import { ipOrRangeOrNull, rangeContains } from '../../domain/ip-range.js';

/**
 * Who may fetch a mirror endpoint, as cs-blocklist-mirror decides (pkg/server/server.go, authMiddleware):
 * `ip_based` looks at the peer address only (forwarded headers are ignored), `basic` wants exactly
 * `Basic base64(user:password)`; a missing header is a 401 with a challenge, a wrong one a 403.
 */
export type MirrorAuthResult = 'ok' | 'unauthorized' | 'forbidden' | 'error';

/** The one challenge upstream sends with its 401. */
export const BASIC_CHALLENGE = 'Basic realm="crowdsec-blocklist-mirror"';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Compares through fixed-size digests: timingSafeEqual wants equal lengths, and the length must not leak either. */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The header value `basic` accepts: built once per endpoint. */
export function basicCredential(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/**
 * The verdict for one request. `peer` is the socket's remote address (an IPv4 client of a dual-stack socket
 * shows as `::ffff:a.b.c.d`, which parses as IPv4); undefined when the socket is gone ('error': upstream's
 * 500 when it cannot read the peer). `authorization` is the header, an empty one counting as absent (Go's Header.Get).
 */
export function checkMirrorAuth(auth: MirrorAuth, peer: string | undefined, authorization: string | undefined): MirrorAuthResult {
  switch (auth.type) {
    case 'none':
      return 'ok';
    case 'ip_based': {
      // a link-local peer's zone (`fe80::1%eth0`) says which interface, not who
      const ip = peer === undefined ? null : ipOrRangeOrNull(peer.replace(/%.*$/, ''));
      if (!ip) return 'error';
      return auth.trustedIps.some((r) => rangeContains(r, ip)) ? 'ok' : 'forbidden';
    }
    case 'basic':
      if (!authorization) return 'unauthorized';
      return sameSecret(authorization, basicCredential(auth.user, auth.password)) ? 'ok' : 'forbidden';
  }
}
