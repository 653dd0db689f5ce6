import type { Transaction } from 'kysely';
import { newId, type Allowlist } from '../domain/allowlist.js';
import { NotFoundError, ConflictError } from '../errors.js';
import { incrementCounter, readCounter } from './counters.js';
import type { Db } from './db.js';
import { refusingDuplicates } from './dialect.js';
import type { AllowlistRow, Tables } from './tables.js';

/** Every allowlist, item, subscriber or tag write runs in a transaction that bumps this counter: other nodes and the server reload on a change. */
export async function bump(trx: Transaction<Tables>): Promise<void> {
  await incrementCounter(trx, 'allowlists');
}

/** Runs a write and bumps the allowlists version in the same transaction. */
export function writeAllowlists<T>(db: Db, fn: (trx: Transaction<Tables>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const r = await fn(trx);
    await bump(trx);
    return r;
  });
}

export async function allowlistsVersion(db: Db): Promise<number> {
  return readCounter(db, 'allowlists');
}

/** A nullable numeric column as a number (some drivers return bigint columns as strings). */
export const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function toList(r: AllowlistRow): Allowlist {
  return { id: r.id, name: r.name, description: r.description, createdAt: Number(r.created_at), updatedAt: numOrNull(r.updated_at) };
}

export async function createAllowlist(db: Db, name: string, description: string, now = Date.now()): Promise<Allowlist> {
  const list: Allowlist = { id: newId(now), name, description, createdAt: now, updatedAt: null };
  await refusingDuplicates(
    () =>
      writeAllowlists(db, (trx) =>
        trx.insertInto('allowlists').values({ id: list.id, name, description, created_at: now, updated_at: null }).execute(),
      ),
    () => new ConflictError(`allowlist '${name}' already exists`),
  );
  return list;
}

export async function getAllowlist(db: Db, id: string): Promise<Allowlist | undefined> {
  const r = await db.selectFrom('allowlists').selectAll().where('id', '=', id).executeTakeFirst();
  return r && toList(r);
}

export async function getAllowlistByName(db: Db, name: string): Promise<Allowlist | undefined> {
  const r = await db.selectFrom('allowlists').selectAll().where('name', '=', name).executeTakeFirst();
  return r && toList(r);
}

/** The list, or a 404 naming the id. */
export async function requireAllowlist(db: Db, id: string): Promise<Allowlist> {
  const list = await getAllowlist(db, id);
  if (!list) throw new NotFoundError(`allowlist '${id}' not found`);
  return list;
}

export async function countAllowlists(db: Db): Promise<number> {
  const r = await db
    .selectFrom('allowlists')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function pageAllowlists(db: Db, offset: number, limit: number): Promise<Allowlist[]> {
  const rows = await db.selectFrom('allowlists').selectAll().orderBy('created_at').orderBy('id').offset(offset).limit(limit).execute();
  return rows.map(toList);
}

/** Renames and/or re-describes a list. Only these two columns are written, whatever else `patch` carries. */
export async function updateAllowlist(
  db: Db,
  id: string,
  patch: { name?: string | undefined; description?: string | undefined },
  now = Date.now(),
): Promise<Allowlist> {
  await refusingDuplicates(
    () =>
      writeAllowlists(db, async (trx) => {
        const r = await trx
          .updateTable('allowlists')
          .set({
            ...(patch.name !== undefined ? { name: patch.name } : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            updated_at: now,
          })
          .where('id', '=', id)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) throw new NotFoundError(`allowlist '${id}' not found`);
      }),
    () => new ConflictError(`allowlist '${patch.name}' already exists`),
  );
  return (await getAllowlist(db, id))!;
}

/** Deletes a list with its items and subscriptions. Refused while it has subscribers, unless `force`. */
export async function deleteAllowlist(db: Db, id: string, force: boolean): Promise<void> {
  await writeAllowlists(db, async (trx) => {
    if (!(await getAllowlist(trx, id))) throw new NotFoundError(`allowlist '${id}' not found`);
    const subs = await trx.selectFrom('allowlist_subscribers').select('entity_id').where('allowlist_id', '=', id).execute();
    if (subs.length > 0 && !force) {
      throw new ConflictError(`allowlist '${id}' has ${subs.length} subscriber(s): unsubscribe them first, or delete with force=true`);
    }
    await trx.deleteFrom('allowlist_subscribers').where('allowlist_id', '=', id).execute();
    await trx.deleteFrom('allowlist_items').where('allowlist_id', '=', id).execute();
    await trx.deleteFrom('allowlists').where('id', '=', id).execute();
  });
}

/** Marks a list changed (an item was added, edited or removed). */
export async function touchList(trx: Transaction<Tables>, id: string, now: number): Promise<void> {
  await trx.updateTable('allowlists').set({ updated_at: now }).where('id', '=', id).execute();
}
