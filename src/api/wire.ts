/**
 * Domain → wire. Upstream's formatting quirks live here and nowhere else.
 */

function pad(n: number, width = 2): string {
  return String(Math.trunc(Math.abs(n))).padStart(width, '0');
}

/** Go's RFC 3339 at whole seconds in the server's local zone (`2026-07-24T15:04:05+02:00`, or `Z` in UTC). */
export function rfc3339Local(ms: number): string {
  const d = new Date(ms);
  const offsetMin = -d.getTimezoneOffset();
  const zone = offsetMin === 0 ? 'Z' : `${offsetMin > 0 ? '+' : '-'}${pad(offsetMin / 60)}:${pad(offsetMin % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${zone}`;
}

/** Go's RFC 3339 at whole seconds in UTC (`2026-07-24T08:15:30Z`): alert and machine times. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The login and refresh answer: keys in Go's map order. */
export function tokenResponse(token: string, expS: number): { code: number; expire: string; token: string } {
  return { code: 200, expire: rfc3339Local(expS * 1000), token };
}
