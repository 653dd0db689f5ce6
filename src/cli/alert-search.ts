// The alert search that `lapis decisions list` and `lapis alerts list` share: cscli's filter flags, turned
// into the API's query parameters and run through the same parser as `GET /v1/alerts`.
import type { Alert } from '../domain/alert.js';
import { CONTAINED_FLAG } from './flags.js';
import { parseAlertFilter } from '../domain/alert-filter.js';
import { searchAlerts } from '../store/alerts.js';
import type { Db } from '../store/db.js';
import { boolFlag, stringFlag, type FlagValues } from './args.js';

/** Alert-search parameters from cscli's flags (as cmd/crowdsec-cli/clidecision/decisions.go), validated like the API's. */
export function alertQuery(flags: FlagValues, extra: Record<string, string>): Record<string, string> {
  const q: Record<string, string> = { ...extra };
  const map: [string, string][] = [
    ['since', 'since'],
    ['until', 'until'],
    ['type', 'decision_type'],
    ['scope', 'scope'],
    ['origin', 'origin'],
    ['value', 'value'],
    ['scenario', 'scenario'],
    ['ip', 'ip'],
    ['range', 'range'],
    ['limit', 'limit'],
    ['kind', 'kind'],
  ];
  for (const [flag, param] of map) {
    const v = stringFlag(flags, flag);
    if (v !== undefined) q[param] = v;
  }
  if (boolFlag(flags, 'contained')) q.contains = 'false';
  if (boolFlag(flags, 'no-simu')) q.simulated = 'false';
  if (boolFlag(flags, 'all')) {
    q.include_capi = 'true';
    q.limit = '0';
  }
  return q;
}

export async function searchWithFlags(db: Db, q: Record<string, string>, now: number): Promise<Alert[]> {
  return searchAlerts(db, parseAlertFilter(q, now), now);
}

export const listFlags = {
  all: { type: 'boolean', short: 'a', description: 'Include decisions from Central API' },
  since: { type: 'string', description: 'restrict to alerts newer than since (ie. 4h, 30d)' },
  until: { type: 'string', description: 'restrict to alerts older than until (ie. 4h, 30d)' },
  type: { type: 'string', short: 't', description: 'restrict to this decision type (ie. ban,captcha)' },
  scope: { type: 'string', description: 'restrict to this scope (ie. ip,range,session)' },
  origin: { type: 'string', description: 'the value to match for the specified origin (ie. cscli, crowdsec, CAPI, lists)' },
  value: { type: 'string', short: 'v', description: 'restrict to this value (ie. 1.2.3.4,userName)' },
  scenario: { type: 'string', short: 's', description: 'restrict to this scenario (ie. crowdsecurity/ssh-bf)' },
  ip: { type: 'string', short: 'i', description: 'restrict to alerts from this source ip (shorthand for --scope ip --value <IP>)' },
  range: { type: 'string', short: 'r', description: 'restrict to alerts from this range (shorthand for --scope range --value <RANGE/X>)' },
  limit: { type: 'string', short: 'l', description: 'number of alerts to get (use 0 to remove the limit)', defaultText: '100' },
  contained: CONTAINED_FLAG,
} as const;
