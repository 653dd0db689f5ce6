import { getBouncer, type Bouncer } from '../../store/bouncers.js';
import type { Db } from '../../store/db.js';
import { CliError } from '../context.js';
import { osNameAndVersion } from '../machines/format.js';
import { rfc3339 } from '../../go-format.js';
import type { Printer } from '../output.js';
import { bouncerInfo } from './format.js';
import { readVerb } from '../read-verb.js';

/** One bouncer. Throws CliError `unable to read bouncer data 'X': ent: bouncer not found`. */
export async function bouncersInspect(db: Db, name: string): Promise<Bouncer> {
  const b = await getBouncer(db, name);
  if (!b) throw new CliError(`unable to read bouncer data '${name}': ent: bouncer not found`);
  return b;
}

export function printBouncerInspection(out: Printer, b: Bouncer): void {
  switch (out.format) {
    case 'human':
      return out.table(
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
    case 'json':
      return out.json(bouncerInfo(b));
    case 'raw':
      throw new CliError("output format 'raw' not supported for this command");
  }
}

export const inspectCommand = readVerb(
  {
    name: 'inspect',
    usage: 'NAME',
    summary: 'inspect a bouncer by name',
    examples: ['lapis bouncers inspect "bouncer1"'],
    args: { min: 1, max: 1 },
  },
  (db, [name]) => bouncersInspect(db, name!),
  printBouncerInspection,
);
