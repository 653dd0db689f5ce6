import { rfc3339 } from '../../go-format.js';
import { alertWire } from '../../api/wire.js';
import type { Alert } from '../../domain/alert.js';
import type { Db } from '../../store/db.js';
import { alertQuery, listFlags, searchWithFlags } from '../alert-search.js';
import type { FlagValues } from '../args.js';
import type { Printer } from '../output.js';
import { readVerb } from '../read-verb.js';

/** `lapis alerts list`: the newest alerts (50 by default), CAPI ones left out unless `-a`. */
export async function alertsList(db: Db, flags: FlagValues, now = Date.now()): Promise<Alert[]> {
  return searchWithFlags(db, alertQuery(flags, { include_capi: 'false', limit: '50' }), now);
}

function decisionsSummary(a: Alert): string {
  const counts = new Map<string, number>();
  for (const d of a.decisions ?? []) {
    const k = `${d.simulated ? '(simul)' : ''}${d.type}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts]
    .sort(([x], [y]) => (x < y ? -1 : 1))
    .map(([k, n]) => `${k}:${n}`)
    .join(' ');
}

function alertValue(a: Alert): string {
  const scopes = new Set((a.decisions ?? []).map((d) => d.scope));
  if ((a.decisions ?? []).length > 1) return `${a.source.scope} (${a.decisions!.length} ${[...scopes].join(',')}s)`;
  return `${a.source.scope}:${a.source.value}`;
}

export function printAlerts(out: Printer, alerts: Alert[], now = Date.now()): void {
  const as = (a: Alert) => [a.source.asNumber, a.source.asName].filter(Boolean).join(' ');
  switch (out.format) {
    case 'json':
      return out.json(alerts.map((a) => alertWire(a, now)));
    case 'raw':
      return out.csv(
        ['id', 'scope', 'value', 'reason', 'country', 'as', 'decisions', 'created_at', 'kind'],
        alerts.map((a) => [
          String(a.id),
          a.source.scope,
          a.source.value,
          a.scenario,
          a.source.country,
          as(a),
          decisionsSummary(a),
          rfc3339(a.createdAt),
          a.kind,
        ]),
      );
    case 'human':
      if (alerts.length === 0) return out.line('No active alerts');
      return out.table(
        ['ID', 'value', 'reason', 'country', 'as', 'decisions', 'created_at', 'kind'],
        alerts.map((a) => [
          String(a.id),
          alertValue(a),
          a.scenario,
          a.source.country,
          as(a),
          decisionsSummary(a),
          rfc3339(a.startedAt),
          a.kind,
        ]),
      );
  }
}

export const listCommand = readVerb(
  {
    name: 'list',
    summary: 'List alerts',
    examples: [
      'lapis alerts list',
      'lapis alerts list --ip 1.2.3.4',
      'lapis alerts list --range 1.2.3.0/24',
      'lapis alerts list -s crowdsecurity/ssh-bf',
    ],
    flags: {
      ...listFlags,
      kind: { type: 'string', description: 'restrict to alerts of this kind (ie. crowdsec, cscli)' },
      limit: { type: 'string', short: 'l', description: 'limit size of alerts list table (0 to view all alerts)', defaultText: '50' },
    },
    args: { min: 0, max: 0 },
  },
  (db, _args, flags, now) => alertsList(db, flags, now),
  printAlerts,
);
