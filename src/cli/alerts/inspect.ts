import { stringify as toYaml } from 'yaml';
import { rfc3339 } from '../../go-format.js';
import { alertWire } from '../../api/wire.js';
import type { Alert } from '../../domain/alert.js';
import { remainingDuration } from '../../domain/duration.js';
import { getAlert } from '../../store/alerts.js';
import type { Db } from '../../store/db.js';
import { boolFlag, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import type { Printer } from '../output.js';

export async function alertsInspect(db: Db, ids: string[]): Promise<Alert[]> {
  const out: Alert[] = [];
  for (const id of ids) {
    if (!/^\d+$/.test(id)) throw new CliError(`bad alert id ${id}`);
    const a = await getAlert(db, Number(id));
    if (!a) throw new CliError(`unable to get alert ${id}: object not found`);
    out.push(a);
  }
  return out;
}

function printHuman(out: Printer, a: Alert, details: boolean, now: number): void {
  out.line('################################################################################################');
  const rows: [string, string][] = [
    ['ID', String(a.id)],
    ['Date', rfc3339(a.createdAt)],
    ['Machine', a.machineId ?? 'N/A'],
    ['Simulation', String(a.simulated)],
    ['Remediation', String(a.remediation)],
    ['Kind', a.kind],
    ['Reason', a.scenario],
    ['Events Count', String(a.eventsCount)],
    ['Scope:Value', `${a.source.scope}:${a.source.value}`],
    ['Country', a.source.country],
    ['AS', [a.source.asNumber, a.source.asName].filter(Boolean).join(' ')],
    ['Begin', rfc3339(a.startedAt)],
    ['End', rfc3339(a.stoppedAt)],
    ['UUID', a.uuid],
  ];
  for (const [k, v] of rows) out.line(` - ${k.padEnd(13)}: ${v}`);
  const active = (a.decisions ?? []).filter((d) => d.until > now);
  out.line('');
  out.table(
    ['ID', 'scope:value', 'action', 'expiration', 'created_at'],
    active.map((d) => [String(d.id), `${d.scope}:${d.value}`, d.type, remainingDuration(d.until, now), rfc3339(d.createdAt)]),
    'Active Decisions',
  );
  if (details) {
    for (const e of a.events)
      out.table(
        ['key', 'value'],
        e.meta.map((m) => [m.key, m.value]),
        `Event ${rfc3339(e.timestamp)}`,
      );
  }
}

export const inspectCommand: LeafCommand = {
  name: 'inspect',
  usage: 'ID...',
  summary: 'Show info about an alert',
  examples: ['lapis alerts inspect 123', 'lapis alerts inspect 123 --details', 'lapis alerts inspect 123 -o json'],
  flags: { details: { type: 'boolean', short: 'd', description: 'show alerts with events' } },
  args: { min: 1, max: Infinity },
  async run(ctx, ids, flags) {
    const now = Date.now();
    const alerts = await withDb(ctx, (db) => alertsInspect(db, ids));
    for (const a of alerts) {
      if (ctx.out.format === 'json') ctx.out.json(alertWire(a, now));
      else if (ctx.out.format === 'raw') ctx.out.out(toYaml(alertWire(a, now)));
      else printHuman(ctx.out, a, boolFlag(flags, 'details'), now);
    }
  },
};
