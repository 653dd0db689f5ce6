import { removeItemsByValue } from '../../store/allowlist-items.js';
import type { Db } from '../../store/db.js';
import type { LeafCommand } from '../args.js';
import { withDb } from '../context.js';
import { itemRange, requireListByName } from './common.js';

/**
 * `lapis allowlists remove`: removes the live items that cover exactly these values (`10.0.0.1` and
 * `10.0.0.1/32` are one). Returns how many went. Throws CliError for an invalid value (nothing removed)
 * or `allowlist 'NAME' not found`. Decisions ended by the items stay ended.
 */
export async function allowlistsRemove(db: Db, name: string, values: readonly string[], now = Date.now()): Promise<number> {
  const ranges = values.map(itemRange);
  const list = await requireListByName(db, name);
  return removeItemsByValue(db, list.id, ranges, now);
}

export const removeCommand: LeafCommand = {
  name: 'remove',
  usage: 'NAME VALUE...',
  summary: 'Remove content from an allowlist',
  examples: ['lapis allowlists remove my_allowlist 1.2.3.4 2.3.4.0/24'],
  args: { min: 2, max: Infinity },
  async run(ctx, [name, ...values]) {
    const n = await withDb(ctx, (db) => allowlistsRemove(db, name!, values));
    // as cscli: no newline after the count
    if (n > 0) ctx.out.out(`removed ${n} values from allowlist ${name}`);
    else ctx.out.line('no value to remove from allowlist');
  },
};
