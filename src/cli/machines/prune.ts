import type { Db } from '../../store/db.js';
import { deleteMachine, pruneCandidates, type Machine } from '../../store/machines.js';
import { boolFlag, durationFlag, type LeafCommand } from '../args.js';
import { confirmOrRefuse, withDb, type Ctx } from '../context.js';
import { printMachineTable } from './format.js';

export const DEFAULT_MACHINE_PRUNE_MS = 10 * 60_000;
const SHORT_DURATION_MS = 2 * 60_000;
/** Deletions per transaction: short write locks, so that a running server keeps answering. */
const BATCH = 500;

/** Machines `prune` would delete (see store pruneCandidates). */
export async function machinesPruneCandidates(db: Db, durationMs: number, notValidatedOnly: boolean, now = Date.now()): Promise<Machine[]> {
  return pruneCandidates(db, now - durationMs, notValidatedOnly);
}

/** Deletes the given machines (and their tags) in batches; `progress` gets the running count. Returns how many went. */
export async function machinesPruneDelete(
  db: Db,
  machines: readonly Machine[],
  progress: (done: number) => void = () => {},
): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < machines.length; i += BATCH) {
    const batch = machines.slice(i, i + BATCH);
    deleted += await db.transaction().execute(async (trx) => {
      let n = 0;
      for (const m of batch) if (await deleteMachine(trx, m.machineId)) n++;
      return n;
    });
    progress(deleted);
  }
  return deleted;
}

async function run(ctx: Ctx, durationMs: number, notValidatedOnly: boolean, force: boolean): Promise<void> {
  const aborted = () => ctx.out.line('User aborted prune. No changes were made.');
  if (durationMs < SHORT_DURATION_MS && !notValidatedOnly && !force) {
    const ok = await confirmOrRefuse(
      ctx,
      'The duration you provided is less than 2 minutes. This can break installations if the machines are only temporarily disconnected. Continue?',
      'a prune duration under 2 minutes',
    );
    if (!ok) return aborted();
  }
  await withDb(ctx, async (db) => {
    const now = Date.now();
    const machines = await machinesPruneCandidates(db, durationMs, notValidatedOnly, now);
    if (machines.length === 0) return ctx.out.line('No machines to prune.');
    printMachineTable(ctx.out, machines, now);
    if (!force) {
      const ok = await confirmOrRefuse(
        ctx,
        'You are about to PERMANENTLY remove the above machines from the database. These will NOT be recoverable. Continue?',
        `pruning ${machines.length} machine(s)`,
      );
      if (!ok) return aborted();
    }
    const big = machines.length > BATCH;
    const deleted = await machinesPruneDelete(db, machines, (n) => {
      if (big) ctx.out.info(`deleted ${n}/${machines.length} machines`);
    });
    ctx.out.notice(`successfully deleted ${deleted} machines`);
  });
}

export const pruneCommand: LeafCommand = {
  name: 'prune',
  summary: 'prune multiple machines from the database',
  description: 'prune multiple machines that are not validated or have not connected to the local API in a given duration.',
  examples: ['lapis machines prune', 'lapis machines prune --duration 1h', 'lapis machines prune --not-validated-only --force'],
  flags: {
    duration: {
      type: 'string',
      short: 'd',
      valueName: 'duration',
      description: 'duration of time since validated machine last heartbeat',
      defaultText: '10m',
    },
    'not-validated-only': { type: 'boolean', description: 'only prune machines that are not validated' },
    force: { type: 'boolean', description: 'force prune without asking for confirmation' },
  },
  args: { min: 0, max: 0 },
  async run(ctx, _args, flags) {
    const d = durationFlag(flags, 'duration', 'd', DEFAULT_MACHINE_PRUNE_MS);
    await run(ctx, d, boolFlag(flags, 'not-validated-only'), boolFlag(flags, 'force'));
  },
};
