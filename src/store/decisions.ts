import type { Kysely, Transaction } from 'kysely';
import type { Decision } from '../domain/decision.js';
import { boundHex, type IpRange } from '../domain/ip-range.js';
import type { NewDecision } from '../domain/alert.js';
import type { DecisionDeleteFilter } from '../domain/decision-filter.js';
import { rangeFromBounds } from './ip-bounds.js';
import { incrementCounter, readCounter } from './counters.js';
import type { Db } from './db.js';
import { PreparedInsert } from './prepared-insert.js';
import type { DecisionRow, Tables } from './tables.js';

/**
 * SQLite binds at most 32,766 variables per statement; a decision row takes 14, so 1,000 rows per
 * INSERT stay well inside it on every engine (upstream's decision_bulk_size default is also 1,000).
 */
export const DECISION_BATCH = 1000;
/** Id lists in `IN (…)` are cut to this size for the same reason. */
export const ID_BATCH = 5000;

/**
 * Scenario, origin, type and scope repeat across thousands of rows; each row read brings its own copy.
 * Interning them keeps one copy each in memory, where every active decision is held.
 */
const interned = new Map<string, string>();
function intern(s: string): string {
  const hit = interned.get(s);
  if (hit !== undefined) return hit;
  if (interned.size >= 50_000) interned.clear();
  interned.set(s, s);
  return s;
}

export function toDecision(r: DecisionRow): Decision {
  return {
    id: Number(r.id),
    uuid: r.uuid,
    alertId: r.alert_id === null ? null : Number(r.alert_id),
    seq: Number(r.seq),
    createdAt: Number(r.created_at),
    until: Number(r.until),
    scenario: intern(r.scenario),
    type: intern(r.type),
    scope: intern(r.scope),
    value: r.value,
    origin: intern(r.origin),
    simulated: Boolean(Number(r.simulated)),
    range: rangeFromBounds(Number(r.ip_size), r.start_ip, r.end_ip),
  };
}

/**
 * Takes the next change sequence for this transaction: every decision row it writes carries it.
 * The counter row stays locked until the transaction commits, so writers commit in sequence order
 * and a reader following `(seq, id) > cursor` never skips a row.
 */
export async function nextSequence(trx: Transaction<Tables>): Promise<number> {
  await incrementCounter(trx, 'decisions');
  const row = await trx.selectFrom('counters').select('value').where('name', '=', 'decisions').executeTakeFirstOrThrow();
  return Number(row.value);
}

/** The newest change sequence handed out. */
export async function currentSequence(db: Db): Promise<number> {
  return readCounter(db, 'decisions');
}

const DECISION_INSERT = new PreparedInsert('decisions', [
  'uuid',
  'alert_id',
  'seq',
  'created_at',
  'until',
  'scenario',
  'type',
  'scope',
  'value',
  'origin',
  'simulated',
  'ip_size',
  'start_ip',
  'end_ip',
]);

/** A decision to insert: for its alert, created at `now` (its request's time). */
export interface DecisionInsert {
  alertId: number | null;
  decision: NewDecision;
  now: number;
}

/** Inserts decisions under the transaction's change sequence: DECISION_BATCH rows per INSERT. */
export async function insertDecisions(trx: Transaction<Tables>, decisions: readonly DecisionInsert[], seq: number): Promise<void> {
  for (let i = 0; i < decisions.length; i += DECISION_BATCH) {
    // in DECISION_INSERT's column order
    const rows = decisions
      .slice(i, i + DECISION_BATCH)
      .map(({ alertId, decision: d, now }) => [
        crypto.randomUUID(),
        alertId,
        seq,
        now,
        d.until,
        d.scenario,
        d.type,
        d.scope,
        d.value,
        d.origin,
        d.simulated ? 1 : 0,
        d.range?.size ?? 0,
        d.range ? boundHex(d.range.size, d.range.start) : '',
        d.range ? boundHex(d.range.size, d.range.end) : '',
      ]);
    await trx.executeQuery(DECISION_INSERT.compile(trx, rows));
  }
}

/** Every row changed after the cursor `(seq, id)`, in that order, at most `limit` rows (as stored: the index reads them as they are). */
export async function changesSince(db: Db, after: { seq: number; id: number }, limit: number): Promise<DecisionRow[]> {
  const rows = await db
    .selectFrom('decisions')
    .selectAll()
    // `seq >= n` first: the planner then walks the seq index instead of scanning the table
    .where('seq', '>=', after.seq)
    .where((eb) => eb.or([eb('seq', '>', after.seq), eb('id', '>', after.id)]))
    .orderBy('seq')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows;
}

/** How many decisions are still active, or ended after `since`: what the index is about to load. */
export async function countLiveSince(db: Db, since: number): Promise<number> {
  const row = await db
    .selectFrom('decisions')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('until', '>', since)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * Decisions still active, or ended after `since`, after the cursor `(seq, id)` in that order: what the
 * in-memory index is rebuilt from, page by page, in the order of its change log.
 */
export async function liveSinceBySequence(
  db: Db,
  since: number,
  after: { seq: number; id: number },
  limit: number,
): Promise<DecisionRow[]> {
  const rows = await db
    .selectFrom('decisions')
    .selectAll()
    .where('seq', '>=', after.seq)
    .where((eb) => eb.or([eb('seq', '>', after.seq), eb('id', '>', after.id)]))
    .where('until', '>', since)
    .orderBy('seq')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows;
}

/**
 * Expires decisions (`until = now`) under the transaction's change sequence, so bouncers receive them
 * in `deleted`. `onlyActive` leaves already-expired ones alone (delete by filter); delete by id expires
 * regardless, as upstream. Returns how many rows changed.
 */
export async function expireDecisions(
  trx: Transaction<Tables>,
  ids: number[],
  now: number,
  seq: number,
  onlyActive: boolean,
): Promise<number> {
  let changed = 0;
  for (let i = 0; i < ids.length; i += ID_BATCH) {
    let q = trx
      .updateTable('decisions')
      .set({ until: now, seq })
      .where('id', 'in', ids.slice(i, i + ID_BATCH));
    if (onlyActive) q = q.where('until', '>', now);
    changed += Number((await q.executeTakeFirst()).numUpdatedRows);
  }
  return changed;
}

/** Decision ids of these alerts that are still active. */
export async function activeDecisionIdsOfAlerts(db: Db, alertIds: number[], now: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < alertIds.length; i += ID_BATCH) {
    const rows = await db
      .selectFrom('decisions')
      .select('id')
      .where('alert_id', 'in', alertIds.slice(i, i + ID_BATCH))
      .where('until', '>', now)
      .execute();
    out.push(...rows.map((r) => Number(r.id)));
  }
  return out;
}

export async function decisionExists(db: Db, id: number): Promise<boolean> {
  return (await db.selectFrom('decisions').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

/** Ids of the active decisions (`until > now`, simulated included) a delete filter selects. */
export async function activeDecisionIds(db: Db, f: DecisionDeleteFilter, now: number): Promise<number[]> {
  let q = db.selectFrom('decisions').select('id').where('until', '>', now);
  if (f.scope !== undefined) q = q.where('scope', '=', f.scope);
  if (f.value !== undefined) q = q.where('value', '=', f.value);
  if (f.type !== undefined) q = q.where('type', '=', f.type);
  if (f.origin !== undefined) q = q.where('origin', '=', f.origin);
  if (f.scenario !== undefined) q = q.where('scenario', '=', f.scenario);
  if (f.uuids !== undefined) q = q.where('uuid', 'in', f.uuids);
  if (f.range) {
    const lo = boundHex(f.range.size, f.range.start);
    const hi = boundHex(f.range.size, f.range.end);
    q = q.where('ip_size', '=', f.range.size);
    q = f.contains ? q.where('start_ip', '<=', lo).where('end_ip', '>=', hi) : q.where('start_ip', '>=', lo).where('end_ip', '<=', hi);
  }
  return (await q.execute()).map((r) => Number(r.id));
}

/**
 * Ids of the active decisions (simulated included, any origin but a blocklist's `lists`) whose IP or range overlaps one of `ranges`:
 * CIDR blocks overlap exactly when one contains the other, which is how allowlists match.
 */
export async function activeDecisionIdsOverlapping(db: Db, ranges: readonly IpRange[], now: number): Promise<number[]> {
  const ids = new Set<number>();
  for (let i = 0; i < ranges.length; i += 100) {
    const rows = await db
      .selectFrom('decisions')
      .select('id')
      .where('until', '>', now)
      // a blocklist's decisions follow its items: the allowlist hides them instead, until its item goes
      .where('origin', '!=', 'lists')
      .where((eb) =>
        eb.or(
          ranges
            .slice(i, i + 100)
            .map((r) =>
              eb.and([
                eb('ip_size', '=', r.size),
                eb('start_ip', '<=', boundHex(r.size, r.end)),
                eb('end_ip', '>=', boundHex(r.size, r.start)),
              ]),
            ),
        ),
      )
      .execute();
    for (const r of rows) ids.add(Number(r.id));
  }
  return [...ids];
}

/** Expires decisions in their own transaction; returns how many changed. */
export async function expireDecisionIds(db: Kysely<Tables>, ids: number[], now: number, onlyActive: boolean): Promise<number> {
  if (ids.length === 0) return 0;
  return db.transaction().execute(async (trx) => expireDecisions(trx, ids, now, await nextSequence(trx), onlyActive));
}

export interface DecisionHistoryItem {
  createdAt: number;
  until: number;
  simulated: boolean;
}

/**
 * Every decision ever stored (expired and simulated included) that covers a value: ranges that
 * contain it for IPs and ranges, exact matches otherwise. Feeds the profiles' escalation helpers.
 */
export async function decisionHistory(db: Db, value: string, range: IpRange | null): Promise<DecisionHistoryItem[]> {
  let q = db.selectFrom('decisions').select(['created_at', 'until', 'simulated']);
  if (range) {
    q = q
      .where('ip_size', '=', range.size)
      .where('start_ip', '<=', boundHex(range.size, range.start))
      .where('end_ip', '>=', boundHex(range.size, range.end));
  } else {
    q = q.where('value', '=', value);
  }
  return (await q.execute()).map((r) => ({
    createdAt: Number(r.created_at),
    until: Number(r.until),
    simulated: Boolean(Number(r.simulated)),
  }));
}
