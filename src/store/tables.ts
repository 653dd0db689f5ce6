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
  stream_seq: number | null;
  /** The allowlists version its last stream pull was served with. */
  stream_allowlists: number | null;
}

export interface AlertTable {
  id: Generated<number>;
  uuid: string;
  machine_ref: number | null;
  scenario: string;
  scenario_hash: string;
  scenario_version: string;
  message: string;
  events_count: number;
  started_at: number;
  stopped_at: number;
  created_at: number;
  capacity: number;
  leakspeed: string;
  simulated: number;
  remediation: number;
  kind: string;
  source_scope: string;
  source_value: string;
  source_ip: string;
  source_range: string;
  source_as_number: string;
  source_as_name: string;
  source_country: string;
  source_latitude: number;
  source_longitude: number;
  events: string;
  meta: string;
  labels: string;
}

export interface DecisionTable {
  id: Generated<number>;
  uuid: string;
  alert_id: number | null;
  /** The change sequence of the row's latest change (creation or expiry). */
  seq: number;
  created_at: number;
  until: number;
  scenario: string;
  type: string;
  scope: string;
  value: string;
  origin: string;
  simulated: number;
  /** 4, 16, or 0 for scopes that are not IPs. */
  ip_size: number;
  /** Fixed-width hex bounds (see domain/ip-range.ts boundHex); empty for other scopes. */
  start_ip: string;
  end_ip: string;
}

export interface MetricTable {
  id: Generated<number>;
  /** `LP` (log processor: an agent) or `RC` (remediation component: a bouncer). */
  generated_type: string;
  generated_by: string;
  received_at: number;
  pushed_at: number | null;
  payload: string;
}

export interface LeaseTable {
  name: string;
  holder: string;
  expires_at: number;
}

export interface CounterTable {
  name: string;
  value: number;
}

/** Small instance-wide settings (organization id, leases…): `config_items` as upstream names it. */
export interface ConfigItemTable {
  name: string;
  value: string;
}

export interface AllowlistTable {
  /** Opaque: 24 hex digits, time-ordered. */
  id: string;
  name: string;
  description: string;
  created_at: number;
  updated_at: number | null;
}

export interface AllowlistItemTable {
  id: string;
  allowlist_id: string;
  /** As entered (trimmed). */
  value: string;
  /** `ip` or `range`. */
  scope: string;
  description: string;
  created_at: number;
  updated_at: number | null;
  /** JSON `{source_type, identifier}`. */
  created_by: string;
  updated_by: string | null;
  /** Null: never expires. */
  expires_at: number | null;
  ip_size: number;
  start_ip: string;
  end_ip: string;
}

export interface AllowlistSubscriberTable {
  allowlist_id: string;
  /** `org`, `engine`, `remediation_component_integration` or `tag`. */
  entity_type: string;
  entity_id: string;
  created_at: number;
}

export interface EntityTagTable {
  /** `machine` or `bouncer`. */
  kind: string;
  name: string;
  tag: string;
}

export interface AdminKeyTable {
  id: Generated<number>;
  name: string;
  /** SHA-512 hex of the key, as bouncer keys. */
  key_hash: string;
  created_at: number;
  last_used_at: number | null;
}

export interface BlocklistTable {
  id: string;
  name: string;
  label: string;
  description: string;
  /** JSON string array. */
  references_json: string;
  /** JSON string array. */
  tags_json: string;
  created_at: number;
  updated_at: number;
  /** `custom`, `feed` or `lapi`. */
  kind: string;
  content_version: number;
  feed_url: string | null;
  feed_refresh_ms: number | null;
  feed_etag: string | null;
  feed_last_modified: string | null;
  feed_checked_at: number | null;
  feed_ok_at: number | null;
  feed_error: string | null;
}

export interface BlocklistItemTable {
  blocklist_id: string;
  ip_size: number;
  start_ip: string;
  end_ip: string;
  /** As first entered (trimmed). */
  value: string;
  created_at: number;
  /** Null: never expires. */
  expires_at: number | null;
}

export interface BlocklistSubscriberTable {
  blocklist_id: string;
  entity_type: string;
  entity_id: string;
  /** The decision type the list's values get for this subscriber (`ban`…). */
  remediation: string;
  created_at: number;
}

export interface IntegrationTable {
  id: string;
  name: string;
  description: string;
  /** `firewall_integration` or `remediation_component_integration`. */
  entity_type: string;
  output_format: string;
  pull_limit: number | null;
  enable_ip_aggregation: number;
  created_at: number;
  updated_at: number;
  last_pull: number | null;
  /** Basic username (firewall integrations). */
  username: string | null;
  /** SHA-512 hex of the Basic password or of the API key. */
  secret_hash: string;
  stream_seq: number | null;
  stream_allowlists: number | null;
}

export interface Tables {
  machines: MachineTable;
  bouncers: BouncerTable;
  config_items: ConfigItemTable;
  alerts: AlertTable;
  decisions: DecisionTable;
  counters: CounterTable;
  leases: LeaseTable;
  metrics: MetricTable;
  allowlists: AllowlistTable;
  allowlist_items: AllowlistItemTable;
  allowlist_subscribers: AllowlistSubscriberTable;
  entity_tags: EntityTagTable;
  admin_keys: AdminKeyTable;
  blocklists: BlocklistTable;
  blocklist_items: BlocklistItemTable;
  blocklist_subscribers: BlocklistSubscriberTable;
  integrations: IntegrationTable;
}

export type MachineRow = Selectable<MachineTable>;
export type BouncerRow = Selectable<BouncerTable>;
export type AlertRow = Selectable<AlertTable>;
export type DecisionRow = Selectable<DecisionTable>;
export type AllowlistRow = Selectable<AllowlistTable>;
export type AllowlistItemRow = Selectable<AllowlistItemTable>;
export type AllowlistSubscriberRow = Selectable<AllowlistSubscriberTable>;
export type EntityTagRow = Selectable<EntityTagTable>;
export type BlocklistRow = Selectable<BlocklistTable>;
export type BlocklistItemRow = Selectable<BlocklistItemTable>;
export type BlocklistSubscriberRow = Selectable<BlocklistSubscriberTable>;
export type IntegrationRow = Selectable<IntegrationTable>;
