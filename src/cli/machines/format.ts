import type { Machine } from '../../store/machines.js';
import { rfc3339, rfc3339Nano } from '../../go-format.js';
import { elapsedSeconds, type Printer } from '../output.js';

/** cscli's emoji column values. */
export const CHECK = '\u2714\ufe0f';
export const PROHIBITED = '\u{1f6ab}';
export const WARNING = '\u26a0\ufe0f';

/** clientinfo.GetOSNameAndVersion: `name/version`, either part alone, or `?`. */
export function osNameAndVersion(os: { name: string; version: string }): string {
  const parts = [os.name, os.version].filter((p) => p !== '');
  return parts.length === 0 ? '?' : parts.join('/');
}

/** cscli's `machineInfo` (list and inspect json): empty and false fields are left out (`omitempty`). */
export function machineInfo(m: Machine): Record<string, unknown> {
  const o: Record<string, unknown> = { created_at: rfc3339Nano(m.createdAt), updated_at: rfc3339Nano(m.updatedAt) };
  if (m.lastPush !== null) o.last_push = rfc3339Nano(m.lastPush);
  if (m.lastHeartbeat !== null) o.last_heartbeat = rfc3339Nano(m.lastHeartbeat);
  if (m.machineId !== '') o.machineId = m.machineId;
  if (m.ipAddress !== '') o.ipAddress = m.ipAddress;
  if (m.version !== '') o.version = m.version;
  if (m.isValidated) o.isValidated = true;
  o.auth_type = m.authType;
  o.os = osNameAndVersion(m.os);
  if (m.featureFlags.length > 0) o.featureflags = m.featureFlags;
  return o;
}

/** The Last Heartbeat column: elapsed time, `-` if never, ⚠️ when never or older than 2 minutes. */
export function heartbeatCell(m: Machine, now: number): string {
  if (m.lastHeartbeat === null) return `${WARNING} -`;
  const hb = elapsedSeconds(m.lastHeartbeat, now);
  return now - m.lastHeartbeat > 2 * 60_000 ? `${WARNING} ${hb}` : hb;
}

export const MACHINE_HEADER = ['Name', 'IP Address', 'Last Update', 'Status', 'Version', 'OS', 'Auth Type', 'Last Heartbeat'];
export const MACHINE_CSV_HEADER = ['machine_id', 'ip_address', 'updated_at', 'validated', 'version', 'auth_type', 'last_heartbeat', 'os'];

export function machineRow(m: Machine, now: number): string[] {
  return [
    m.machineId,
    m.ipAddress,
    rfc3339(m.updatedAt),
    m.isValidated ? CHECK : PROHIBITED,
    m.version,
    osNameAndVersion(m.os),
    m.authType,
    heartbeatCell(m, now),
  ];
}

export function machineCsvRow(m: Machine): string[] {
  return [
    m.machineId,
    m.ipAddress,
    rfc3339(m.updatedAt),
    String(m.isValidated),
    m.version,
    m.authType,
    m.lastHeartbeat === null ? '-' : rfc3339(m.lastHeartbeat),
    `${m.os.name}/${m.os.version}`,
  ];
}

export function printMachineTable(out: Printer, machines: readonly Machine[], now: number): void {
  out.table(
    MACHINE_HEADER,
    machines.map((m) => machineRow(m, now)),
  );
}
