import { alertWire } from '../../api/wire.js';
import type { Alert } from '../../domain/alert.js';
import { parseAlertFilter } from '../../domain/alert-filter.js';
import type { Decision } from '../../domain/decision.js';
import { remainingDuration } from '../../domain/duration.js';
import { searchAlerts } from '../../store/alerts.js';
import type { Db } from '../../store/db.js';
import { boolFlag, stringFlag, type FlagValues, type LeafCommand } from '../args.js';
import { withDb } from '../context.js';
import type { Printer } from '../output.js';

/** Alert-search parameters from cscli's flags (cscli.md §3, §4), validated like the API's. */
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

/** `lapis decisions list`: alerts holding an active decision, each decision listed once per (simulated, type, scope, value). */
export async function decisionsList(db: Db, flags: FlagValues, now = Date.now()): Promise<Alert[]> {
  const alerts = await searchWithFlags(db, alertQuery(flags, { has_active_decision: 'true', include_capi: 'false', limit: '100' }), now);
  const seen = new Set<string>();
  for (const a of alerts) {
    a.decisions = (a.decisions ?? []).filter((d) => {
      const k = `${d.simulated}|${d.type}|${d.scope}|${d.value}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }
  return alerts;
}

const HEADER = ['ID', 'Source', 'Scope:Value', 'Reason', 'Action', 'Country', 'AS', 'Events', 'expiration', 'Alert ID'];

function row(a: Alert, d: Decision, now: number): string[] {
  return [
    String(d.id),
    d.origin,
    `${d.scope}:${d.value}`,
    d.scenario,
    `${d.simulated ? '(simul)' : ''}${d.type}`,
    a.source.country,
    [a.source.asNumber, a.source.asName].filter(Boolean).join(' '),
    String(a.eventsCount),
    remainingDuration(d.until, now),
    String(a.id),
  ];
}

export function printDecisions(out: Printer, alerts: Alert[], now = Date.now()): void {
  const rows = alerts.flatMap((a) => (a.decisions ?? []).map((d) => row(a, d, now)));
  switch (out.format) {
    case 'json':
      return out.json(alerts.map((a) => alertWire(a, now)));
    case 'raw':
      return out.csv(
        ['id', 'source', 'ip', 'reason', 'action', 'country', 'as', 'events_count', 'expiration', 'simulated', 'alert_id'],
        rows.map((r) => [...r.slice(0, 9), r[4]!.startsWith('(simul)') ? 'true' : 'false', r[9]!]),
      );
    case 'human':
      if (rows.length === 0) return out.line('No active decisions');
      return out.table(HEADER, rows);
  }
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
  contained: { type: 'boolean', description: 'query decisions contained by range' },
} as const;

export const listCommand: LeafCommand = {
  name: 'list',
  summary: 'List decisions from LAPI',
  examples: [
    'lapis decisions list -i 1.2.3.4',
    'lapis decisions list -r 1.2.3.0/24',
    'lapis decisions list -s crowdsecurity/ssh-bf',
    'lapis decisions list --origin lists',
  ],
  flags: { ...listFlags, 'no-simu': { type: 'boolean', description: 'exclude decisions in simulation mode' } },
  args: { min: 0, max: 0 },
  async run(ctx, _args, flags) {
    const now = Date.now();
    printDecisions(ctx.out, await withDb(ctx, (db) => decisionsList(db, flags, now)), now);
  },
};
