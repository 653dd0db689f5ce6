import { addBlocklistItems } from '../../usecases/blocklists.js';
import type { Db } from '../../store/db.js';
import type { LeafCommand } from '../args.js';
import { withDb } from '../context.js';
import type { Printer } from '../output.js';
import { EXPIRATION_FLAG, expirationFlag, inBatches, parseValues, requireBlocklistByName } from './common.js';

export interface BlocklistsAddResult {
  /** The IpParseError messages of the values refused (`invalid ip address 'bar'`), in order. */
  invalid: string[];
  added: number;
  /** Values already there whose expiration changed. */
  updated: number;
}

/**
 * `lapis blocklists add`: adds the valid values (invalid ones are reported, not fatal, as `allowlists add`),
 * in transactions of at most 20,000; a value already there takes the new expiration. Throws CliError
 * `blocklist 'NAME' not found`, ForbiddenError for a read-only list (`lapi`, or one that follows a URL).
 */
export async function blocklistsAdd(
  db: Db,
  name: string,
  values: readonly string[],
  expiresAt: number | null,
  now = Date.now(),
): Promise<BlocklistsAddResult> {
  const list = await requireBlocklistByName(db, name);
  const { ranges, invalid } = parseValues(values);
  const out: BlocklistsAddResult = { invalid, added: 0, updated: 0 };
  await inBatches(ranges, async (batch) => {
    const r = await addBlocklistItems({ db }, list.id, batch, expiresAt, now);
    out.added += r.added;
    out.updated += r.updated;
  });
  return out;
}

export function printAdded(out: Printer, name: string, r: BlocklistsAddResult): void {
  for (const msg of r.invalid) out.error(msg);
  if (out.format === 'json') return out.json({ blocklist: name, added: r.added, updated: r.updated, invalid: r.invalid.length });
  if (r.added > 0) out.line(`added ${r.added} values to blocklist ${name}`);
  if (r.updated > 0) out.line(`updated the expiration of ${r.updated} values in blocklist ${name}`);
  // as `allowlists add`: with invalid values and nothing added, stdout stays empty
  if (r.added + r.updated === 0 && r.invalid.length === 0) out.line('no new values for blocklist');
}

export const addCommand: LeafCommand = {
  name: 'add',
  usage: 'NAME VALUE...',
  summary: 'Add IPs or CIDR ranges to a blocklist',
  description:
    'Add IPs or CIDR ranges to a blocklist. A value already in the list takes the new expiration. Invalid values are reported and skipped.',
  examples: [
    'lapis blocklists add scanners 192.0.2.7 198.51.100.0/24 -e 30d',
    'lapis blocklists add scanners 2001:db8::1 --expiration 2030-01-01T00:00:00Z',
  ],
  flags: { expiration: EXPIRATION_FLAG },
  args: { min: 2, max: Infinity },
  async run(ctx, [name, ...values], flags) {
    const now = Date.now();
    const expiresAt = expirationFlag(flags, now);
    printAdded(ctx.out, name!, await withDb(ctx, (db) => blocklistsAdd(db, name!, values, expiresAt, now)));
  },
};
