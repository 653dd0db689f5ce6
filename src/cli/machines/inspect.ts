import type { Db } from '../../store/db.js';
import { getMachine, getMachineHubState, type HubItemState, type Machine } from '../../store/machines.js';
import { boolFlag, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { rfc3339 } from '../../go-format.js';
import type { Printer } from '../output.js';
import { machineInfo, osNameAndVersion } from './format.js';

export interface MachineInspection {
  machine: Machine;
  hub: Record<string, HubItemState[]>;
}

/** A machine and its hub state. Throws CliError `unable to read machine data 'X': user 'X': user doesn't exist`. */
export async function machinesInspect(db: Db, machineId: string): Promise<MachineInspection> {
  const machine = await getMachine(db, machineId);
  const hub = await getMachineHubState(db, machineId);
  if (!machine || !hub) throw new CliError(`unable to read machine data '${machineId}': user '${machineId}': user doesn't exist`);
  return { machine, hub };
}

export function printMachineInspection(out: Printer, { machine: m, hub }: MachineInspection): void {
  switch (out.format) {
    case 'human': {
      const rows: string[][] = [
        ['IP Address', m.ipAddress],
        ['Created At', rfc3339(m.createdAt)],
        ['Last Update', rfc3339(m.updatedAt)],
        ['Last Heartbeat', m.lastHeartbeat === null ? '-' : rfc3339(m.lastHeartbeat)],
        ['Validated?', String(m.isValidated)],
        ['CrowdSec version', m.version],
        ['OS', osNameAndVersion(m.os)],
        ['Auth type', m.authType],
        ...m.featureFlags.map((ff) => ['Feature Flags', ff]),
        ...(hub.collections ?? []).map((c) => ['Collections', c.name]),
      ];
      return out.table(null, rows, `Machine: ${m.machineId}`);
    }
    case 'json':
      // Lapis stores no usage metrics yet: the metric lists are empty
      return out.json({ ...machineInfo(m), metrics: { acquisition: [], parsers: [] } });
    case 'raw':
      throw new CliError("output format 'raw' not supported for this command");
  }
}

export function printHubState(out: Printer, hub: Record<string, HubItemState[]>): void {
  const types = Object.keys(hub).sort();
  switch (out.format) {
    case 'human': {
      const nonEmpty = types.filter((t) => (hub[t] ?? []).length > 0);
      if (nonEmpty.length === 0) return out.line('No hub items found for this machine');
      for (const t of nonEmpty)
        out.table(
          ['Name', 'Status', 'Version'],
          hub[t]!.map((i) => [i.name, i.status, i.version]),
          t,
        );
      return;
    }
    case 'json':
      return out.json(hub);
    case 'raw':
      return out.csv(
        ['type', 'name', 'status', 'version'],
        types.flatMap((t) => (hub[t] ?? []).map((i) => [t, i.name, i.status, i.version])),
      );
  }
}

export const inspectCommand: LeafCommand = {
  name: 'inspect',
  usage: 'NAME',
  summary: 'inspect a machine by name',
  examples: ['lapis machines inspect "machine1"', 'lapis machines inspect "machine1" --hub'],
  flags: { hub: { type: 'boolean', short: 'H', description: 'show hub state' } },
  args: { min: 1, max: 1 },
  async run(ctx, [machineId], flags) {
    const r = await withDb(ctx, (db) => machinesInspect(db, machineId!));
    if (boolFlag(flags, 'hub')) printHubState(ctx.out, r.hub);
    else printMachineInspection(ctx.out, r);
  },
};
