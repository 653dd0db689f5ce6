import { UserExistsError, NotFoundError } from '../errors.js';
import { dropTagsIn } from './entity-tags.js';
import { type Db, inTransaction } from './db.js';
import { refusingDuplicates } from './dialect.js';
import { senderColumns, senderInfo } from './usage-metrics.js';
import type { MachineRow } from './tables.js';

export type AuthType = 'password' | 'tls';

export interface Machine {
  id: number;
  machineId: string;
  passwordHash: string;
  ipAddress: string;
  scenarios: string[];
  version: string;
  isValidated: boolean;
  authType: AuthType;
  createdAt: number;
  updatedAt: number;
  lastPush: number | null;
  lastHeartbeat: number | null;
  os: { name: string; family: string; version: string };
  featureFlags: string[];
}

function split(list: string): string[] {
  return list === '' ? [] : list.split(',');
}

function toMachine(r: MachineRow): Machine {
  return {
    id: Number(r.id),
    machineId: r.machine_id,
    passwordHash: r.password,
    ipAddress: r.ip_address,
    scenarios: split(r.scenarios),
    version: r.version,
    isValidated: Boolean(Number(r.is_validated)),
    authType: r.auth_type as AuthType,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    lastPush: r.last_push === null ? null : Number(r.last_push),
    lastHeartbeat: r.last_heartbeat === null ? null : Number(r.last_heartbeat),
    ...senderInfo(r),
  };
}

export interface NewMachine {
  machineId: string;
  passwordHash: string;
  ipAddress?: string;
  isValidated: boolean;
  authType?: AuthType;
}

/** Creates a machine. Throws UserExistsError (upstream's 403 "user already exist") when the id is taken. */
export async function createMachine(db: Db, m: NewMachine, now = Date.now()): Promise<Machine> {
  await refusingDuplicates(
    () =>
      db
        .insertInto('machines')
        .values({
          machine_id: m.machineId,
          password: m.passwordHash,
          ip_address: m.ipAddress ?? '',
          scenarios: '',
          version: '',
          is_validated: m.isValidated ? 1 : 0,
          auth_type: m.authType ?? 'password',
          created_at: now,
          updated_at: now,
          // as upstream: last_push is set at creation
          last_push: now,
          last_heartbeat: null,
          ...senderColumns(),
          hubstate: '{}',
          datasources: '{}',
        })
        .execute(),
    () => new UserExistsError(`user '${m.machineId}': user already exist`),
  );
  return (await getMachine(db, m.machineId))!;
}

export async function getMachine(db: Db, machineId: string): Promise<Machine | undefined> {
  const row = await db.selectFrom('machines').selectAll().where('machine_id', '=', machineId).executeTakeFirst();
  return row && toMachine(row);
}

export async function listMachines(db: Db): Promise<Machine[]> {
  const rows = await db.selectFrom('machines').selectAll().orderBy('id').execute();
  return rows.map(toMachine);
}

/** Marks a machine validated. Throws NotFoundError when it does not exist. */
export async function validateMachine(db: Db, machineId: string, now = Date.now()): Promise<void> {
  const r = await db
    .updateTable('machines')
    .set({ is_validated: 1, updated_at: now })
    .where('machine_id', '=', machineId)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new NotFoundError('machine not found');
}

export async function setMachinePassword(db: Db, machineId: string, passwordHash: string, now = Date.now()): Promise<void> {
  await db
    .updateTable('machines')
    .set({ password: passwordHash, is_validated: 1, updated_at: now })
    .where('machine_id', '=', machineId)
    .execute();
}

/**
 * Deletes a machine with its tags, in one transaction (the caller's when `db` is one); its alerts stay
 * without an owner. Returns whether it existed.
 */
export async function deleteMachine(db: Db, machineId: string): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const r = await trx.deleteFrom('machines').where('machine_id', '=', machineId).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) return false;
    await dropTagsIn(trx, 'machine', [machineId]);
    return true;
  });
}

/** Login side effects: scenarios (when given), client IP and the version from the User-Agent. */
export async function recordLogin(
  db: Db,
  machineId: string,
  seen: { scenarios?: string[] | undefined; ipAddress: string; version?: string | undefined },
  now = Date.now(),
): Promise<void> {
  await db
    .updateTable('machines')
    .set({
      ip_address: seen.ipAddress,
      updated_at: now,
      ...(seen.scenarios && seen.scenarios.length > 0 ? { scenarios: seen.scenarios.join(',') } : {}),
      ...(seen.version ? { version: seen.version } : {}),
    })
    .where('machine_id', '=', machineId)
    .execute();
}

export async function touchHeartbeat(db: Db, machineId: string, now = Date.now()): Promise<void> {
  await db.updateTable('machines').set({ last_heartbeat: now }).where('machine_id', '=', machineId).execute();
}

/**
 * Machines `lapis machines prune` would delete: every unvalidated machine, plus (unless `notValidatedOnly`)
 * validated ones whose last heartbeat is older than `before`, or that never sent one and were created before it.
 */
export async function pruneCandidates(db: Db, before: number, notValidatedOnly: boolean): Promise<Machine[]> {
  const all = await listMachines(db);
  return all.filter(
    (m) => !m.isValidated || (!notValidatedOnly && (m.lastHeartbeat === null ? m.createdAt < before : m.lastHeartbeat < before)),
  );
}

export interface HubItemState {
  name: string;
  status: string;
  version: string;
}

/**
 * A machine's hub state as its agent last reported it (`{type: [{name, status, version}]}`, upstream's
 * `hubstate`), or undefined when the machine does not exist. An unreadable value reads as empty.
 */
export async function getMachineHubState(db: Db, machineId: string): Promise<Record<string, HubItemState[]> | undefined> {
  const row = await db.selectFrom('machines').select('hubstate').where('machine_id', '=', machineId).executeTakeFirst();
  if (!row) return undefined;
  try {
    const v: unknown = JSON.parse(row.hubstate);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, HubItemState[]>) : {};
  } catch {
    return {};
  }
}
