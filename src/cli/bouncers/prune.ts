import { deleteBouncersById, listBouncers, type Bouncer } from '../../store/bouncers.js';
import type { Db } from '../../store/db.js';
import { boolFlag, durationFlag, type LeafCommand } from '../args.js';
import type { Ctx } from '../context.js';
import { deleteInBatches, runPrune } from '../prune.js';
import { printBouncerTable } from './format.js';

export const DEFAULT_BOUNCER_PRUNE_MS = 60 * 60_000;

/** upstream's QueryBouncersInactiveSince: last pull before `now − d`, or never pulled and created before it. */
export async function bouncersPruneCandidates(db: Db, durationMs: number, now = Date.now()): Promise<Bouncer[]> {
  const before = now - durationMs;
  return (await listBouncers(db)).filter((b) => (b.lastPull === null ? b.createdAt < before : b.lastPull < before));
}

/** Deletes the given bouncers (and their tags) in batches; `progress` gets the running count. Returns how many went. */
export async function bouncersPruneDelete(db: Db, bouncers: readonly Bouncer[], progress?: (done: number) => void): Promise<number> {
  return deleteInBatches(
    bouncers,
    (batch) =>
      deleteBouncersById(
        db,
        batch.map((b) => b.id),
      ),
    progress,
  );
}

function run(ctx: Ctx, durationMs: number, force: boolean): Promise<void> {
  return runPrune(
    ctx,
    {
      plural: 'bouncers',
      shortDurationQuestion:
        durationMs < 2 * 60_000 ? 'The duration you provided is less than 2 minutes. This may remove active bouncers. Continue?' : null,
      find: (db, now) => bouncersPruneCandidates(db, durationMs, now),
      print: (c, found) => printBouncerTable(c.out, found),
      remove: bouncersPruneDelete,
      done: (n) => `Successfully deleted ${n} bouncers`,
    },
    force,
  );
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
