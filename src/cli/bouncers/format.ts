import type { BouncerUsage } from '../../domain/usage-metrics.js';
import type { Bouncer } from '../../store/bouncers.js';
import { CHECK, osNameAndVersion, PROHIBITED } from '../machines/format.js';
import { rfc3339, rfc3339Nano } from '../../go-format.js';
import type { Printer } from '../output.js';

/** cscli's `bouncerInfo` (list and inspect json). */
export function bouncerInfo(b: Bouncer): Record<string, unknown> {
  const o: Record<string, unknown> = {
    created_at: rfc3339Nano(b.createdAt),
    updated_at: rfc3339Nano(b.updatedAt),
    name: b.name,
    revoked: b.revoked,
    ip_address: b.ipAddress,
    type: b.type,
    version: b.version,
    last_pull: b.lastPull === null ? null : rfc3339Nano(b.lastPull),
    auth_type: b.authType,
    os: osNameAndVersion(b.os),
  };
  if (b.featureFlags.length > 0) o.featureflags = b.featureFlags;
  o.auto_created = b.autoCreated;
  return o;
}

export const BOUNCER_HEADER = ['Name', 'IP Address', 'Valid', 'Last API pull', 'Type', 'Version', 'Auth Type'];
export const BOUNCER_CSV_HEADER = ['name', 'ip', 'revoked', 'last_pull', 'type', 'version', 'auth_type'];

const lastPull = (b: Bouncer) => (b.lastPull === null ? '' : rfc3339(b.lastPull));

export function bouncerRow(b: Bouncer): string[] {
  return [b.name, b.ipAddress, b.revoked ? PROHIBITED : CHECK, lastPull(b), b.type, b.version, b.authType];
}

/** As upstream, the `revoked` column says `validated`, or `pending` for a revoked bouncer. */
export function bouncerCsvRow(b: Bouncer): string[] {
  return [b.name, b.ipAddress, b.revoked ? 'pending' : 'validated', lastPull(b), b.type, b.version, b.authType];
}

export function printBouncerTable(out: Printer, bouncers: readonly Bouncer[]): void {
  out.table(BOUNCER_HEADER, bouncers.map(bouncerRow));
}

/**
 * Lapis: the `metrics` object of `bouncers inspect -o json`: the oldest stored window (`since`, null when the
 * bouncer never pushed) and one item per metric, unit and label set, values as in lapis_bouncer_usage_*.
 */
export function bouncerUsageInfo(u: BouncerUsage | undefined): Record<string, unknown> {
  return {
    since: u ? rfc3339(u.since * 1000) : null,
    items: (u?.series ?? []).map((s) => ({
      name: s.name,
      unit: s.unit,
      origin: s.origin,
      remediation: s.remediation,
      ip_type: s.ipType,
      value: s.value,
    })),
  };
}
