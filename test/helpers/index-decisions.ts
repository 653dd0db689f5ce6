import type { Decision } from '../../src/domain/decision.js';
import { parseIpOrRange } from '../../src/domain/ip-range.js';

/** The decision index tests' clock: a fixed instant, and an hour. */
export const T0 = 1_800_000_000_000;
export const HOUR = 3600_000;

/** A decision on `value` (an IP or CIDR unless `scope` says otherwise), one hour long by default. */
export function dec(id: number, value: string, o: Partial<Decision> = {}): Decision {
  const scope = o.scope ?? (value.includes('/') ? 'Range' : 'Ip');
  return {
    id,
    uuid: `u${id}`,
    alertId: 1,
    seq: id,
    createdAt: T0,
    until: T0 + HOUR,
    scenario: 'crowdsecurity/ssh-bf',
    type: 'ban',
    scope,
    value,
    origin: 'crowdsec',
    simulated: false,
    range: scope === 'Ip' || scope === 'Range' ? parseIpOrRange(value) : null,
    ...o,
  };
}
