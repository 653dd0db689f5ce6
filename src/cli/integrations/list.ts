import type { Db } from '../../store/db.js';
import { pageIntegrations } from '../../store/integrations.js';
import type { Printer } from '../output.js';
import { readVerb } from '../read-verb.js';
import { listsRead, showIntegration, type ShownIntegration } from './common.js';

/** Every integration, oldest first, with the blocklists it reads. */
export async function integrationsList(db: Db): Promise<ShownIntegration[]> {
  const all = await pageIntegrations(db, 0, 1_000_000);
  const read = await listsRead(db, all);
  return all.map((i) => showIntegration(i, read.get(i.id) ?? []));
}

const TYPE_SHORT = { firewall_integration: 'firewall', remediation_component_integration: 'remediation_component' } as const;
const limit = (n: number | null) => (n === null ? 'none' : String(n));

export function printIntegrations(out: Printer, all: readonly ShownIntegration[]): void {
  switch (out.format) {
    case 'human':
      return out.table(
        ['Name', 'ID', 'Type', 'Format', 'Pull limit', 'Aggregate', 'Tags', 'Blocklists', 'Last pull'],
        all.map((i) => [
          i.name,
          i.id,
          TYPE_SHORT[i.entity_type],
          i.output_format,
          limit(i.pull_limit),
          i.enable_ip_aggregation ? 'yes' : 'no',
          i.tags.join(', '),
          String(i.blocklists.length),
          i.last_pull ?? 'never',
        ]),
      );
    case 'json':
      return out.json(all);
    case 'raw':
      return out.csv(
        ['name', 'id', 'entity_type', 'output_format', 'pull_limit', 'enable_ip_aggregation', 'tags', 'blocklists', 'last_pull'],
        all.map((i) => [
          i.name,
          i.id,
          i.entity_type,
          i.output_format,
          limit(i.pull_limit),
          String(i.enable_ip_aggregation),
          i.tags.join(' '),
          String(i.blocklists.length),
          i.last_pull ?? '',
        ]),
      );
  }
}

export const listCommand = readVerb(
  {
    name: 'list',
    summary: 'List all integrations',
    examples: ['lapis integrations list', 'lapis integrations list -o json'],
    args: { min: 0, max: 0 },
  },
  (db) => integrationsList(db),
  printIntegrations,
);
