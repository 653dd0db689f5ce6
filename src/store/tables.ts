import type { Generated, Selectable } from 'kysely';

/**
 * Table types. Column names follow CrowdSec's ent schema where one exists.
 * Times are integer milliseconds since the epoch on every dialect: one comparison rule everywhere,
 * and no time-zone or precision forks in the dialect module.
 * Booleans are stored as 0/1 integers for the same reason (SQLite and MySQL have no boolean type).
 */
export interface MachineTable {
  id: Generated<number>;
  machine_id: string;
  password: string;
  ip_address: string;
  scenarios: string;
  version: string;
  is_validated: number;
  auth_type: string;
  created_at: number;
  updated_at: number;
  last_push: number | null;
  last_heartbeat: number | null;
  os_name: string;
  os_family: string;
  os_version: string;
  feature_flags: string;
  hubstate: string;
  datasources: string;
}

export interface BouncerTable {
  id: Generated<number>;
  name: string;
  api_key: string;
  revoked: number;
  ip_address: string;
  type: string;
  version: string;
  last_pull: number | null;
  auth_type: string;
  os_name: string;
  os_family: string;
  os_version: string;
  feature_flags: string;
  auto_created: number;
  created_at: number;
  updated_at: number;
}

/** Small instance-wide settings (organization id, leases…): `config_items` as upstream names it. */
export interface ConfigItemTable {
  name: string;
  value: string;
}

export interface Tables {
  machines: MachineTable;
  bouncers: BouncerTable;
  config_items: ConfigItemTable;
}

export type MachineRow = Selectable<MachineTable>;
export type BouncerRow = Selectable<BouncerTable>;
