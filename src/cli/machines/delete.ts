import type { Db } from '../../store/db.js';
import { deleteMachine } from '../../store/machines.js';
import { boolFlag, type LeafCommand } from '../args.js';
import { withDb } from '../context.js';

export interface MachinesDeleteResult {
  deleted: string[];
  /** The first name that did not exist: processing stopped there, as upstream. */
  missing?: string;
}

/**
 * Deletes machines in order. A missing one is not fatal but stops the loop (upstream's quirk); the
 * caller reports it unless `--ignore-missing`. A deleted machine's tags go with it.
 */
export async function machinesDelete(db: Db, names: readonly string[]): Promise<MachinesDeleteResult> {
  const deleted: string[] = [];
  for (const name of names) {
    if (!(await deleteMachine(db, name))) return { deleted, missing: name };
    deleted.push(name);
  }
  return { deleted };
}

export const deleteCommand: LeafCommand = {
  name: 'delete',
  aliases: ['remove'],
  usage: 'NAME...',
  summary: 'delete machine(s) by name',
  examples: ['lapis machines delete "machine1" "machine2"'],
  flags: {
    'ignore-missing': { type: 'boolean', description: "don't print errors if one or more machines don't exist" },
  },
  args: { min: 1, max: Infinity },
  async run(ctx, names, flags) {
    const r = await withDb(ctx, (db) => machinesDelete(db, names));
    for (const name of r.deleted) ctx.out.info(`machine '${name}' deleted successfully`);
    if (r.missing !== undefined && !boolFlag(flags, 'ignore-missing')) {
      ctx.out.error(`unable to delete machine: '${r.missing}' does not exist`);
    }
  },
};
