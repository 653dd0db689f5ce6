import type { Db } from '../../store/db.js';
import { deleteMachine, pruneCandidates, type Machine } from '../../store/machines.js';
import { boolFlag, durationFlag, type LeafCommand } from '../args.js';
import type { Ctx } from '../context.js';
import { deleteInBatches, runPrune } from '../prune.js';
import { printMachineTable } from './format.js';

export const DEFAULT_MACHINE_PRUNE_MS = 10 * 60_000;
const SHORT_DURATION_MS = 2 * 60_000;

/** Machines `prune` would delete (see store pruneCandidates). */
export async function machinesPruneCandidates(db: Db, durationMs: number, notValidatedOnly: boolean, now = Date.now()): Promise<Machine[]> {
  return pruneCandidates(db, now - durationMs, notValidatedOnly);
}

/** Deletes the given machines (and their tags) in batches; `progress` gets the running count. Returns how many went. */
export async function machinesPruneDelete(db: Db, machines: readonly Machine[], progress?: (done: number) => void): Promise<number> {
  const deleteBatch = (batch: readonly Machine[]) =>
    db.transaction().execute(async (trx) => {
      let n = 0;
      for (const m of batch) if (await deleteMachine(trx, m.machineId)) n++;
      return n;
    });
  return deleteInBatches(machines, deleteBatch, progress);
}

function run(ctx: Ctx, durationMs: number, notValidatedOnly: boolean, force: boolean): Promise<void> {
  const short = durationMs < SHORT_DURATION_MS && !notValidatedOnly;
  return runPrune(
    ctx,
    {
      plural: 'machines',
      shortDurationQuestion: short
        ? 'The duration you provided is less than 2 minutes. This can break installations if the machines are only temporarily disconnected. Continue?'
        : null,
      find: (db, now) => machinesPruneCandidates(db, durationMs, notValidatedOnly, now),
      print: (c, found, now) => printMachineTable(c.out, found, now),
      remove: machinesPruneDelete,
      done: (n) => `successfully deleted ${n} machines`,
    },
    force,
  );
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
