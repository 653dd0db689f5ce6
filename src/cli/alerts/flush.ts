import type { Db } from '../../store/db.js';
import { flushAlerts } from '../../store/retention.js';
import { durationFlag, stringFlag, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';

/** `lapis alerts flush`: one pass of the alert retention; alerts holding an active decision stay. */
export async function alertsFlush(db: Db, maxItems: number, maxAgeMs: number, now = Date.now()): Promise<number> {
  return flushAlerts(db, { maxItems, maxAgeMs }, now);
}

export const flushCommand: LeafCommand = {
  name: 'flush',
  summary: 'Flush alerts',
  examples: ['lapis alerts flush --max-items 1000 --max-age 7d'],
  flags: {
    'max-items': { type: 'string', description: 'Maximum number of alert items to keep in the database', defaultText: '5000' },
    'max-age': { type: 'string', description: 'Maximum age of alert items to keep in the database', defaultText: '7d' },
  },
  args: { min: 0, max: 0 },
  async run(ctx, _args, flags) {
    const itemsText = stringFlag(flags, 'max-items') ?? '5000';
    if (!/^\d+$/.test(itemsText) || Number(itemsText) <= 0)
      throw new CliError(`invalid argument "${itemsText}" for "--max-items" flag: must be a positive integer`);
    const maxAgeMs = durationFlag(flags, 'max-age', undefined, 7 * 86_400_000);
    ctx.out.info('Flushing alerts. !! This may take a long time !!');
    const n = await withDb(ctx, (db) => alertsFlush(db, Number(itemsText), maxAgeMs));
    ctx.out.info(`Alerts flushed (${n} deleted)`);
  },
};
