import type { Db } from '../../store/db.js';
import { CliError } from '../context.js';
import type { Printer } from '../output.js';
import { readVerb } from '../read-verb.js';
import { listsRead, requireIntegrationRef, showIntegration, type ShownIntegration } from './common.js';

/** One integration (by name or id) with the blocklists it reads; never its credentials. */
export async function integrationsInspect(db: Db, ref: string): Promise<ShownIntegration> {
  const i = await requireIntegrationRef(db, ref);
  return showIntegration(i, (await listsRead(db, [i])).get(i.id) ?? []);
}

export function printIntegrationInspection(out: Printer, i: ShownIntegration): void {
  if (out.format === 'raw') throw new CliError("output format 'raw' not supported for this command");
  if (out.format === 'json') return out.json(i);
  const rows: string[][] = [
    ['Name', i.name],
    ['ID', i.id],
    ['Description', i.description],
    ['Type', i.entity_type],
    ['Format', i.output_format],
    ['Pull limit', i.pull_limit === null ? 'none' : String(i.pull_limit)],
    ['IP aggregation', i.enable_ip_aggregation ? 'yes' : 'no'],
    ['Tags', i.tags.join(', ')],
    ['Endpoint', i.endpoint],
  ];
  if (i.username !== null) rows.push(['Username', i.username]);
  rows.push(['Created at', i.created_at], ['Updated at', i.updated_at], ['Last pull', i.last_pull ?? 'never']);
  out.table(null, rows, `Integration: ${i.name}`);
  out.line();
  if (i.blocklists.length === 0) return out.line('No blocklists: nothing is served to it (lapis blocklists subscribe).');
  out.table(
    ['Blocklist', 'Label', 'Remediation', 'Subscribed through'],
    i.blocklists.map((b) => [b.name, b.label, b.remediation, b.via]),
  );
}

export const inspectCommand = readVerb(
  {
    name: 'inspect',
    usage: 'NAME|ID',
    summary: 'Inspect an integration',
    description:
      'Show an integration: its settings, the path it is read on, and the blocklists it reads with their remediation. Credentials are never shown.',
    examples: ['lapis integrations inspect edge-fw'],
    args: { min: 1, max: 1 },
  },
  (db, [ref]) => integrationsInspect(db, ref!),
  printIntegrationInspection,
);
