import { UserExistsError } from '../errors.js';
import { dropTagsIn } from './entity-tags.js';
import { type Db, inTransaction } from './db.js';
import { refusingDuplicates } from './dialect.js';
import { senderColumns, senderInfo } from './usage-metrics.js';
import type { BouncerRow } from './tables.js';

export type BouncerAuthType = 'api-key' | 'tls';

export interface Bouncer {
  id: number;
  name: string;
  keyHash: string;
  revoked: boolean;
  ipAddress: string;
  type: string;
  version: string;
  lastPull: number | null;
  authType: BouncerAuthType;
  os: { name: string; family: string; version: string };
  featureFlags: string[];
  autoCreated: boolean;
  createdAt: number;
  updatedAt: number;
  /** The stream cursor: the last change sequence served, or null before the first pull. */
  streamSeq: number | null;
}

function toBouncer(r: BouncerRow): Bouncer {
  return {
    id: Number(r.id),
    name: r.name,
    keyHash: r.api_key,
    revoked: Boolean(Number(r.revoked)),
    ipAddress: r.ip_address,
    type: r.type,
    version: r.version,
    lastPull: r.last_pull === null ? null : Number(r.last_pull),
    authType: r.auth_type as BouncerAuthType,
    ...senderInfo(r),
    autoCreated: Boolean(Number(r.auto_created)),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    streamSeq: r.stream_seq === null ? null : Number(r.stream_seq),
  };
}

export interface NewBouncer {
  name: string;
  keyHash: string;
  ipAddress?: string;
  authType?: BouncerAuthType;
  autoCreated?: boolean;
}

/** Creates a bouncer. Throws UserExistsError `bouncer NAME already exists` when the name is taken. */
export async function createBouncer(db: Db, b: NewBouncer, now = Date.now()): Promise<Bouncer> {
  await refusingDuplicates(
    () =>
      db
        .insertInto('bouncers')
        .values({
          name: b.name,
          api_key: b.keyHash,
          revoked: 0,
          ip_address: b.ipAddress ?? '',
          type: '',
          version: '',
          last_pull: null,
          auth_type: b.authType ?? 'api-key',
          ...senderColumns(),
          auto_created: b.autoCreated ? 1 : 0,
          created_at: now,
          updated_at: now,
          stream_seq: null,
          stream_allowlists: null,
        })
        .execute(),
    () => new UserExistsError(`bouncer ${b.name} already exists`),
  );
  return (await getBouncer(db, b.name))!;
}

export async function getBouncer(db: Db, name: string): Promise<Bouncer | undefined> {
  const row = await db.selectFrom('bouncers').selectAll().where('name', '=', name).executeTakeFirst();
  return row && toBouncer(row);
}

export async function listBouncers(db: Db): Promise<Bouncer[]> {
  return (await db.selectFrom('bouncers').selectAll().orderBy('id').execute()).map(toBouncer);
}

/** Every bouncer holding this key hash, oldest first. */
export async function bouncersByKey(db: Db, keyHash: string): Promise<Bouncer[]> {
  const rows = await db.selectFrom('bouncers').selectAll().where('api_key', '=', keyHash).orderBy('id').execute();
  return rows.map(toBouncer);
}

/** Records what a request told us about the bouncer: its IP (first use) and its User-Agent. */
export async function updateBouncerSeen(
  db: Db,
  id: number,
  seen: { ipAddress?: string; type?: string; version?: string },
  now = Date.now(),
): Promise<void> {
  await db
    .updateTable('bouncers')
    .set({
      updated_at: now,
      ...(seen.ipAddress !== undefined ? { ip_address: seen.ipAddress } : {}),
      ...(seen.type !== undefined ? { type: seen.type } : {}),
      ...(seen.version !== undefined ? { version: seen.version } : {}),
    })
    .where('id', '=', id)
    .execute();
}

export async function setLastPull(db: Db, id: number, at: number): Promise<void> {
  await db.updateTable('bouncers').set({ last_pull: at }).where('id', '=', id).execute();
}

/** Moves a bouncer's stream cursor after a successful pull. */
export async function setStreamCursor(db: Db, id: number, seq: number, at: number, allowlists: number): Promise<void> {
  await db.updateTable('bouncers').set({ last_pull: at, stream_seq: seq, stream_allowlists: allowlists }).where('id', '=', id).execute();
}

/** Deletes a bouncer and the `name@ip` rows auto-created from it, with their tags. Returns how many rows went. */
export async function deleteBouncerWithChildren(db: Db, name: string): Promise<number> {
  return inTransaction(db, async (trx) => {
    // Children are found in code rather than with LIKE, whose escaping differs between engines.
    const autoCreated = await trx.selectFrom('bouncers').select(['id', 'name']).where('auto_created', '=', 1).execute();
    const ids = autoCreated.filter((b) => b.name.startsWith(`${name}@`)).map((b) => Number(b.id));
    const parent = await trx.selectFrom('bouncers').select('id').where('name', '=', name).executeTakeFirst();
    if (parent) ids.push(Number(parent.id));
    return deleteBouncersById(trx, ids);
  });
}

/**
 * Deletes bouncers with their tags, in one transaction (the caller's when `db` is one). Returns how many
 * rows went. Callers keep `ids` to a few hundred (the names are looked up with one IN list).
 */
export async function deleteBouncersById(db: Db, ids: number[]): Promise<number> {
  if (ids.length === 0) return 0;
  return inTransaction(db, async (trx) => {
    const names = (await trx.selectFrom('bouncers').select('name').where('id', 'in', ids).execute()).map((b) => b.name);
    const r = await trx.deleteFrom('bouncers').where('id', 'in', ids).executeTakeFirst();
    await dropTagsIn(trx, 'bouncer', names);
    return Number(r.numDeletedRows);
  });
}

/** A bouncer's stream cursor, read fresh: another node may have moved it. */
export async function getStreamCursor(db: Db, id: number): Promise<{ seq: number | null; lastPull: number | null; allowlists: number }> {
  const r = await db
    .selectFrom('bouncers')
    .select(['stream_seq', 'last_pull', 'stream_allowlists'])
    .where('id', '=', id)
    .executeTakeFirst();
  return {
    seq: r?.stream_seq == null ? null : Number(r.stream_seq),
    lastPull: r?.last_pull == null ? null : Number(r.last_pull),
    // a cursor from before allowlists existed has heard of none of their changes
    allowlists: r?.stream_allowlists == null ? 0 : Number(r.stream_allowlists),
  };
}
