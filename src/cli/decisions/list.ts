import { alertWire } from '../../api/wire.js';
import type { Alert } from '../../domain/alert.js';
import type { Decision } from '../../domain/decision.js';
import { remainingDuration } from '../../domain/duration.js';
import type { Db } from '../../store/db.js';
import { alertQuery, listFlags, searchWithFlags } from '../alert-search.js';
import type { FlagValues } from '../args.js';
import type { Printer } from '../output.js';
import { readVerb } from '../read-verb.js';

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

export const listCommand = readVerb(
  {
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
  },
  (db, _args, flags, now) => decisionsList(db, flags, now),
  printDecisions,
);
