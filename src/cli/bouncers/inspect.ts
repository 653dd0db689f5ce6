import { aggregateBouncerUsage, type BouncerUsage } from '../../domain/usage-metrics.js';
import { getBouncer, type Bouncer } from '../../store/bouncers.js';
import type { Db } from '../../store/db.js';
import { readUsageMetrics } from '../../store/usage-metrics.js';
import { CliError } from '../context.js';
import { osNameAndVersion } from '../machines/format.js';
import { rfc3339 } from '../../go-format.js';
import type { Printer } from '../output.js';
import { printBouncerUsage } from '../usage-table.js';
import { bouncerInfo, bouncerUsageInfo } from './format.js';
import { readVerb } from '../read-verb.js';

export interface BouncerInspection {
  bouncer: Bouncer;
  /** What it pushed to /v1/usage-metrics, aggregated as cscli's `metrics show bouncers`; undefined if never. */
  usage: BouncerUsage | undefined;
}

/** One bouncer and its usage metrics. Throws CliError `unable to read bouncer data 'X': ent: bouncer not found`. */
export async function bouncersInspect(db: Db, name: string): Promise<BouncerInspection> {
  const bouncer = await getBouncer(db, name);
  if (!bouncer) throw new CliError(`unable to read bouncer data '${name}': ent: bouncer not found`);
  const [usage] = aggregateBouncerUsage(await readUsageMetrics(db, { kind: 'RC', sender: name }));
  return { bouncer, usage };
}

export function printBouncerInspection(out: Printer, { bouncer: b, usage }: BouncerInspection): void {
  switch (out.format) {
    case 'human':
      out.table(
        null,
        [
          ['Created At', rfc3339(b.createdAt)],
          ['Last Update', rfc3339(b.updatedAt)],
          ['Revoked?', String(b.revoked)],
          ['IP Address', b.ipAddress],
          ['Type', b.type],
          ['Version', b.version],
          ['Last Pull', b.lastPull === null ? '' : rfc3339(b.lastPull)],
          ['Auth type', b.authType],
          ['OS', osNameAndVersion(b.os)],
          ['Auto Created', String(b.autoCreated)],
          ...b.featureFlags.map((ff) => ['Feature Flags', ff]),
        ],
        `Bouncer: ${b.name}`,
      );
      // Lapis: cscli shows this only in `cscli metrics show bouncers`
      if (usage) printBouncerUsage(out, usage);
      return;
    case 'json':
      return out.json({ ...bouncerInfo(b), metrics: bouncerUsageInfo(usage) });
    case 'raw':
      throw new CliError("output format 'raw' not supported for this command");
  }
}

export const inspectCommand = readVerb(
  {
    name: 'inspect',
    usage: 'NAME',
    summary: 'inspect a bouncer by name',
    description:
      'Show a bouncer: its version, OS, feature flags, type, last pull and auth type, then the usage metrics it pushed (per origin and remediation; counters summed over the stored windows, active decisions as last reported).',
    examples: ['lapis bouncers inspect "bouncer1"'],
    args: { min: 1, max: 1 },
  },
  (db, [name]) => bouncersInspect(db, name!),
  printBouncerInspection,
);
