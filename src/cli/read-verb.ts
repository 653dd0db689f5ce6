import type { Config } from '../config/schema.js';
import type { Db } from '../store/db.js';
import type { FlagValues, LeafCommand } from './args.js';
import { withDb } from './context.js';
import type { Printer } from './output.js';

/**
 * A verb that reads from the store and prints what it read (the list and inspect verbs): `read` runs with the
 * store open, `print` after it is closed. Both get the same `now`, so durations and ages agree.
 */
export function readVerb<T>(
  about: Omit<LeafCommand, 'run'>,
  read: (db: Db, args: string[], flags: FlagValues, now: number, config: Config) => Promise<T>,
  print: (out: Printer, found: T, now: number) => void,
): LeafCommand {
  return {
    ...about,
    async run(ctx, args, flags) {
      const now = Date.now();
      print(ctx.out, await withDb(ctx, (db, config) => read(db, args, flags, now, config)), now);
    },
  };
}
