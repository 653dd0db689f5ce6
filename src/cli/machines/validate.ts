import type { Db } from '../../store/db.js';
import { validateMachine } from '../../store/machines.js';
import { NotFoundError } from '../../errors.js';
import type { LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';

/** Marks a machine validated. Throws CliError `unable to validate machine 'NAME': machine not found`. */
export async function machinesValidate(db: Db, machineId: string, now = Date.now()): Promise<void> {
  try {
    await validateMachine(db, machineId, now);
  } catch (err) {
    if (err instanceof NotFoundError) throw new CliError(`unable to validate machine '${machineId}': ${err.message}`);
    throw err;
  }
}

export const validateCommand: LeafCommand = {
  name: 'validate',
  usage: 'NAME',
  summary: 'validate a machine to access the local API',
  examples: ['lapis machines validate "machine_name"'],
  args: { min: 1, max: 1 },
  async run(ctx, [machineId]) {
    await withDb(ctx, (db) => machinesValidate(db, machineId!));
    ctx.out.info(`machine '${machineId}' validated successfully`);
  },
};
