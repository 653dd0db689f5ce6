import type { Db } from '../store/db.js';
import { confirmOrRefuse, withDb, type Ctx } from './context.js';

/** Rows per batch: well under SQLite's bound-variable limit, and short write locks for a running server. */
export const PRUNE_BATCH = 500;

/** Deletes `items` in batches of PRUNE_BATCH with `deleteBatch`; `progress` gets the running count. Returns how many went. */
export async function deleteInBatches<T>(
  items: readonly T[],
  deleteBatch: (batch: readonly T[]) => Promise<number>,
  progress: (done: number) => void = () => {},
): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < items.length; i += PRUNE_BATCH) {
    deleted += await deleteBatch(items.slice(i, i + PRUNE_BATCH));
    progress(deleted);
  }
  return deleted;
}

/** What `machines prune` and `bouncers prune` differ in. */
export interface PruneFlow<T> {
  /** `machines`, `bouncers`: in messages. */
  plural: string;
  /** The question asked when the duration is under 2 minutes, or null not to ask. */
  shortDurationQuestion: string | null;
  find(db: Db, now: number): Promise<T[]>;
  print(ctx: Ctx, found: readonly T[], now: number): void;
  remove(db: Db, found: readonly T[], progress: (done: number) => void): Promise<number>;
  /** cscli's closing line, whose capital differs between the two nouns. */
  done(n: number): string;
}

/** cscli's prune dialogue: the short-duration check, the list, the confirmation, deletion with progress. */
export async function runPrune<T>(ctx: Ctx, flow: PruneFlow<T>, force: boolean): Promise<void> {
  const aborted = () => ctx.out.line('User aborted prune. No changes were made.');
  if (flow.shortDurationQuestion !== null && !force) {
    if (!(await confirmOrRefuse(ctx, flow.shortDurationQuestion, 'a prune duration under 2 minutes'))) return aborted();
  }
  await withDb(ctx, async (db) => {
    const now = Date.now();
    const found = await flow.find(db, now);
    if (found.length === 0) return ctx.out.line(`No ${flow.plural} to prune.`);
    flow.print(ctx, found, now);
    if (!force) {
      const ok = await confirmOrRefuse(
        ctx,
        `You are about to PERMANENTLY remove the above ${flow.plural} from the database. These will NOT be recoverable. Continue?`,
        `pruning ${found.length} ${flow.plural.slice(0, -1)}(s)`,
      );
      if (!ok) return aborted();
    }
    const big = found.length > PRUNE_BATCH;
    const deleted = await flow.remove(db, found, (n) => {
      if (big) ctx.out.info(`deleted ${n}/${found.length} ${flow.plural}`);
    });
    ctx.out.notice(flow.done(deleted));
  });
}
