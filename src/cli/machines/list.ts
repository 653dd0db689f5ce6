import type { Db } from '../../store/db.js';
import { listMachines, type Machine } from '../../store/machines.js';
import type { Printer } from '../output.js';
import { MACHINE_CSV_HEADER, machineCsvRow, machineInfo, printMachineTable } from './format.js';
import { readVerb } from '../read-verb.js';

/** Every machine, oldest first. */
export async function machinesList(db: Db): Promise<Machine[]> {
  return listMachines(db);
}

export function printMachines(out: Printer, machines: readonly Machine[], now = Date.now()): void {
  switch (out.format) {
    case 'human':
      return printMachineTable(out, machines, now);
    case 'json':
      return out.json(machines.map(machineInfo));
    case 'raw':
      return out.csv(MACHINE_CSV_HEADER, machines.map(machineCsvRow));
  }
}

export const listCommand = readVerb(
  {
    name: 'list',
    summary: 'list all machines in the database',
    description: 'list all machines in the database with their status and last heartbeat',
    examples: ['lapis machines list'],
    args: { min: 0, max: 0 },
  },
  (db) => machinesList(db),
  printMachines,
);
