import { deleteBouncersById, listBouncers, type Bouncer } from '../../store/bouncers.js';
import type { Db } from '../../store/db.js';
import { boolFlag, durationFlag, type LeafCommand } from '../args.js';
import { confirmOrRefuse, withDb, type Ctx } from '../context.js';
import { printBouncerTable } from './format.js';

export const DEFAULT_BOUNCER_PRUNE_MS = 60 * 60_000;
/** Ids per DELETE: well under SQLite's bound-variable limit, and short write locks for a running server. */
const BATCH = 500;

/** upstream's QueryBouncersInactiveSince: last pull before `now − d`, or never pulled and created before it. */
export async function bouncersPruneCandidates(db: Db, durationMs: number, now = Date.now()): Promise<Bouncer[]> {
  const before = now - durationMs;
  return (await listBouncers(db)).filter((b) => (b.lastPull === null ? b.createdAt < before : b.lastPull < before));
}

/** Deletes the given bouncers (and their tags) in batches; `progress` gets the running count. Returns how many went. */
export async function bouncersPruneDelete(
  db: Db,
  bouncers: readonly Bouncer[],
  progress: (done: number) => void = () => {},
): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < bouncers.length; i += BATCH) {
    const batch = bouncers.slice(i, i + BATCH);
    deleted += await deleteBouncersById(
      db,
      batch.map((b) => b.id),
    );
    progress(deleted);
  }
  return deleted;
}

async function run(ctx: Ctx, durationMs: number, force: boolean): Promise<void> {
  const aborted = () => ctx.out.line('User aborted prune. No changes were made.');
  if (durationMs < 2 * 60_000 && !force) {
    const ok = await confirmOrRefuse(
      ctx,
      'The duration you provided is less than 2 minutes. This may remove active bouncers. Continue?',
      'a prune duration under 2 minutes',
    );
    if (!ok) return aborted();
  }
  await withDb(ctx, async (db) => {
    const bouncers = await bouncersPruneCandidates(db, durationMs);
    if (bouncers.length === 0) return ctx.out.line('No bouncers to prune.');
    printBouncerTable(ctx.out, bouncers);
    if (!force) {
      const ok = await confirmOrRefuse(
        ctx,
        'You are about to PERMANENTLY remove the above bouncers from the database. These will NOT be recoverable. Continue?',
        `pruning ${bouncers.length} bouncer(s)`,
      );
      if (!ok) return aborted();
    }
    const big = bouncers.length > BATCH;
    const deleted = await bouncersPruneDelete(db, bouncers, (n) => {
      if (big) ctx.out.info(`deleted ${n}/${bouncers.length} bouncers`);
    });
    ctx.out.notice(`Successfully deleted ${deleted} bouncers`);
  });
}

export const pruneCommand: LeafCommand = {
  name: 'prune',
  summary: 'prune multiple bouncers from the database',
  examples: ['lapis bouncers prune -d 45m', 'lapis bouncers prune -d 45m --force'],
  flags: {
    duration: { type: 'string', short: 'd', valueName: 'duration', description: 'duration of time since last pull', defaultText: '1h0m0s' },
    force: { type: 'boolean', description: 'force prune without asking for confirmation' },
  },
  args: { min: 0, max: 0 },
  async run(ctx, _args, flags) {
    await run(ctx, durationFlag(flags, 'duration', 'd', DEFAULT_BOUNCER_PRUNE_MS), boolFlag(flags, 'force'));
  },
};
