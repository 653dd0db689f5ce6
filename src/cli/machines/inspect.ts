import { aggregateAcquisition, aggregateParsers, type AcquisitionUsage, type ParserUsage } from '../../domain/usage-metrics.js';
import type { Db } from '../../store/db.js';
import { getMachine, getMachineHubState, type HubItemState, type Machine } from '../../store/machines.js';
import { getMachineDatasources, readUsageMetrics } from '../../store/usage-metrics.js';
import { boolFlag, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { rfc3339 } from '../../go-format.js';
import type { Printer } from '../output.js';
import { printAgentUsage } from '../usage-table.js';
import { machineInfo, osNameAndVersion } from './format.js';

export interface MachineInspection {
  machine: Machine;
  hub: Record<string, HubItemState[]>;
  /** As its last usage-metrics push gave them. */
  datasources: Record<string, number>;
  /** Its stored usage metrics, aggregated as cscli's inspect does. */
  acquisition: AcquisitionUsage[];
  parsers: ParserUsage[];
}

/** A machine, its hub state and usage metrics. Throws CliError `unable to read machine data 'X': user 'X': user doesn't exist`. */
export async function machinesInspect(db: Db, machineId: string): Promise<MachineInspection> {
  const machine = await getMachine(db, machineId);
  const hub = await getMachineHubState(db, machineId);
  const datasources = await getMachineDatasources(db, machineId);
  if (!machine || !hub || !datasources)
    throw new CliError(`unable to read machine data '${machineId}': user '${machineId}': user doesn't exist`);
  const pushes = await readUsageMetrics(db, { kind: 'LP', sender: machineId });
  return { machine, hub, datasources, acquisition: aggregateAcquisition(pushes), parsers: aggregateParsers(pushes) };
}

export function printMachineInspection(out: Printer, r: MachineInspection): void {
  const { machine: m, hub, datasources } = r;
  // upstream ranges over a Go map (random order); sorted here so the output is stable
  const sources = Object.keys(datasources).sort();
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
        ...sources.map((ds) => ['Datasources', `${ds}: ${datasources[ds]}`]),
        ...m.featureFlags.map((ff) => ['Feature Flags', ff]),
        ...(hub.collections ?? []).map((c) => ['Collections', c.name]),
      ];
      out.table(null, rows, `Machine: ${m.machineId}`);
      return printAgentUsage(out, r.acquisition, r.parsers);
    }
    case 'json': {
      // upstream's metricsInfo: each list omitted when empty (`omitempty`), the object itself always there
      const metrics = {
        ...(r.acquisition.length > 0 ? { acquisition: r.acquisition } : {}),
        ...(r.parsers.length > 0 ? { parsers: r.parsers } : {}),
      };
      // upstream's machineInfo ends with `datasources,omitempty`
      const ds = sources.length > 0 ? { datasources: Object.fromEntries(sources.map((k) => [k, datasources[k]])) } : {};
      return out.json({ ...machineInfo(m), ...ds, metrics });
    }
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
