import { deleteBlocklistItems } from '../../usecases/blocklists.js';
import type { Db } from '../../store/db.js';
import type { LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { inBatches, parseValues, requireBlocklistByName } from './common.js';

/**
 * `lapis blocklists remove`: removes the items at exactly these values (`10.0.0.1` and `10.0.0.1/32` are
 * one); values the list does not hold are ignored. Returns how many went. An invalid value is CliError and
 * nothing is removed; so is an unknown list. A read-only list is ForbiddenError.
 */
export async function blocklistsRemove(db: Db, name: string, values: readonly string[], now = Date.now()): Promise<number> {
  const { ranges, invalid } = parseValues(values);
  if (invalid.length > 0) throw new CliError(invalid[0]!);
  const list = await requireBlocklistByName(db, name);
  let removed = 0;
  await inBatches(ranges, async (batch) => {
    removed += (await deleteBlocklistItems({ db }, list.id, batch, now)).removed;
  });
  return removed;
}

export const removeCommand: LeafCommand = {
  name: 'remove',
  usage: 'NAME VALUE...',
  summary: 'Remove IPs or CIDR ranges from a blocklist',
  examples: ['lapis blocklists remove scanners 192.0.2.7 198.51.100.0/24'],
  args: { min: 2, max: Infinity },
  async run(ctx, [name, ...values]) {
    const n = await withDb(ctx, (db) => blocklistsRemove(db, name!, values));
    if (ctx.out.format === 'json') return ctx.out.json({ blocklist: name, removed: n });
    ctx.out.line(n > 0 ? `removed ${n} values from blocklist ${name}` : 'no value to remove from blocklist');
  },
};
