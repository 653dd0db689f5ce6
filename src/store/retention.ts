import type { Kysely, Transaction } from 'kysely';
import { dropTagsIn } from './entity-tags.js';
import type { Tables } from './tables.js';

/**
 * Rows deleted per statement: each batch is one short transaction, so the flush never holds the
 * database (SQLite's single writer above all) long enough to delay a request noticeably.
 */
const FLUSH_BATCH = 500;

export interface AlertRetention {
  /** Keep alerts younger than this (ms); null = no age limit. */
  maxAgeMs: number | null;
  /** Keep at most this many of the newest alerts; null = no count limit. */
  maxItems: number | null;
}

async function deleteAlertBatches(db: Kysely<Tables>, select: (limit: number) => Promise<number[]>): Promise<number> {
  let total = 0;
  for (;;) {
    const ids = await select(FLUSH_BATCH);
    if (ids.length === 0) return total;
    await db.transaction().execute(async (trx) => {
      // the decisions left are all expired (the selection guarantees it): detach them for the purge
      await trx.updateTable('decisions').set({ alert_id: null }).where('alert_id', 'in', ids).execute();
      total += Number((await trx.deleteFrom('alerts').where('id', 'in', ids).executeTakeFirst()).numDeletedRows);
    });
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * Flushes alerts by age and by count. An alert that still carries an active decision is never
 * deleted, however old (upstream #3978 deleted active bans this way). Returns the number deleted.
 */
export async function flushAlerts(db: Kysely<Tables>, r: AlertRetention, now = Date.now()): Promise<number> {
  const noActive = (q: ReturnType<typeof selectIds>) =>
    q.where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('decisions')
            .select('decisions.id')
            .whereRef('decisions.alert_id', '=', 'alerts.id')
            .where('decisions.until', '>=', now),
        ),
      ),
    );
  const selectIds = () => db.selectFrom('alerts').select('alerts.id');
  let total = 0;
  if (r.maxAgeMs !== null) {
    const before = now - r.maxAgeMs;
    total += await deleteAlertBatches(db, async (limit) =>
      (
        await noActive(selectIds().where('alerts.created_at', '<=', before))
          .orderBy('alerts.id')
          .limit(limit)
          .execute()
      ).map((x) => Number(x.id)),
    );
  }
  if (r.maxItems !== null) {
    const max = await db
      .selectFrom('alerts')
      .select(({ fn }) => fn.max('alerts.id').as('m'))
      .executeTakeFirst();
    const cutoff = Number(max?.m ?? 0) - r.maxItems;
    if (cutoff > 0) {
      total += await deleteAlertBatches(db, async (limit) =>
        (
          await noActive(selectIds().where('alerts.id', '<=', cutoff))
            .orderBy('alerts.id')
            .limit(limit)
            .execute()
        ).map((x) => Number(x.id)),
      );
    }
  }
  return total;
}

/**
 * Deletes blocklist items that expired before `before`: they stopped being served when they expired, and their
 * decisions ended then. Returns how many went.
 */
export async function purgeExpiredBlocklistItems(db: Kysely<Tables>, before: number): Promise<number> {
  let total = 0;
  // list by list: each DELETE seeks the (list, expiry) index
  for (const { id } of await db.selectFrom('blocklists').select('id').execute()) {
    const r = await db.deleteFrom('blocklist_items').where('blocklist_id', '=', id).where('expires_at', '<', before).executeTakeFirst();
    total += Number(r.numDeletedRows);
  }
  return total;
}

/** Deletes decision rows expired before `before` that no alert holds any more. Returns how many went. */
export async function purgeDetachedDecisions(db: Kysely<Tables>, before: number): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await db
      .selectFrom('decisions')
      .select('id')
      .where('alert_id', 'is', null)
      .where('until', '<', before)
      .limit(FLUSH_BATCH)
      .execute();
    if (rows.length === 0) return total;
    total += Number(
      (
        await db
          .deleteFrom('decisions')
          .where(
            'id',
            'in',
            rows.map((r) => Number(r.id)),
          )
          .executeTakeFirst()
      ).numDeletedRows,
    );
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * Deletes, batch by batch, the rows `select` picks (up to `limit` at a time), with their tags: each batch
 * is one transaction, so a machine or bouncer never goes without its tags.
 */
async function deleteEntityBatches(
  db: Kysely<Tables>,
  select: (trx: Transaction<Tables>, limit: number) => Promise<{ id: number; name: string }[]>,
  remove: (trx: Transaction<Tables>, ids: number[], names: string[]) => Promise<number>,
): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await db.transaction().execute(async (trx) => {
      const rows = await select(trx, FLUSH_BATCH);
      return rows.length === 0
        ? 0
        : remove(
            trx,
            rows.map((r) => r.id),
            rows.map((r) => r.name),
          );
    });
    if (n === 0) return total;
    total += n;
    await new Promise((r) => setImmediate(r));
  }
}

/** Bouncers of this auth type whose last pull is older than `before` (never-pulled ones stay), with their tags. */
export async function autodeleteBouncers(db: Kysely<Tables>, authType: 'api-key' | 'tls', before: number): Promise<number> {
  return deleteEntityBatches(
    db,
    async (trx, limit) =>
      (
        await trx
          .selectFrom('bouncers')
          .select(['id', 'name'])
          .where('auth_type', '=', authType)
          .where('last_pull', 'is not', null)
          .where('last_pull', '<=', before)
          .orderBy('id')
          .limit(limit)
          .execute()
      ).map((b) => ({ id: Number(b.id), name: b.name })),
    async (trx, ids, names) => {
      const r = await trx.deleteFrom('bouncers').where('id', 'in', ids).executeTakeFirst();
      await dropTagsIn(trx, 'bouncer', names);
      return Number(r.numDeletedRows);
    },
  );
}

/**
 * Machines of this auth type silent since `before`, with no alerts, and not local (as upstream), with
 * their tags; machines that never sent a heartbeat stay.
 */
export async function autodeleteMachines(db: Kysely<Tables>, authType: 'password' | 'tls', before: number): Promise<number> {
  return deleteEntityBatches(
    db,
    async (trx, limit) =>
      (
        await trx
          .selectFrom('machines')
          .select(['id', 'machine_id'])
          .where('auth_type', '=', authType)
          .where('last_heartbeat', 'is not', null)
          .where('last_heartbeat', '<=', before)
          .where('ip_address', 'not in', ['127.0.0.1', '::1'])
          .where(({ not, exists, selectFrom }) =>
            not(exists(selectFrom('alerts').select('alerts.id').whereRef('alerts.machine_ref', '=', 'machines.id'))),
          )
          .orderBy('id')
          .limit(limit)
          .execute()
      ).map((m) => ({ id: Number(m.id), name: m.machine_id })),
    async (trx, ids, names) => {
      const r = await trx.deleteFrom('machines').where('id', 'in', ids).executeTakeFirst();
      await dropTagsIn(trx, 'machine', names);
      return Number(r.numDeletedRows);
    },
  );
}
