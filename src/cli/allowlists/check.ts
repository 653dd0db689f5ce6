import type { Db } from '../../store/db.js';
import type { Printer } from '../output.js';
import { allowlistChecker, itemRange } from './common.js';
import { readVerb } from '../read-verb.js';

export interface CheckResult {
  value: string;
  /** `<item> from <list>`, sorted by list name; empty when the value is not allowlisted. */
  reasons: string[];
}

/**
 * `lapis allowlists check`: for each value (IP or CIDR), the items that nest with it in the lists that
 * apply somewhere (at least one subscriber). Throws CliError for an invalid value, before any check.
 */
export async function allowlistsCheck(db: Db, values: readonly string[], now = Date.now()): Promise<CheckResult[]> {
  const ranges = values.map(itemRange);
  const reasonsOf = await allowlistChecker(db, now);
  return values.map((value, i) => ({ value, reasons: reasonsOf(ranges[i]!) }));
}

export function printCheck(out: Printer, results: readonly CheckResult[]): void {
  if (out.format === 'json')
    return out.json(results.map((r) => ({ value: r.value, allowlisted: r.reasons.length > 0, reasons: r.reasons })));
  // unlike cscli, a value that is not allowlisted does not stop the loop
  for (const r of results)
    out.line(r.reasons.length > 0 ? `${r.value} is allowlisted by item ${r.reasons.join(', ')}` : `${r.value} is not allowlisted`);
}

export const checkCommand = readVerb(
  {
    name: 'check',
    usage: 'VALUE...',
    summary: 'Check if a value is in an allowlist',
    description: 'Check IPs or CIDR ranges against the allowlists that apply somewhere (those with at least one subscriber).',
    examples: ['lapis allowlists check 1.2.3.4 2001:db8::/64'],
    args: { min: 1, max: Infinity },
  },
  (db, values) => allowlistsCheck(db, values),
  printCheck,
);
