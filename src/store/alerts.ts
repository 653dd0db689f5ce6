import { CompiledQuery, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import type { Alert, AlertEvent, NewAlert } from '../domain/alert.js';
import type { AlertFilter } from '../domain/alert-filter.js';
import { CAPI_ORIGINS } from '../domain/decision.js';
import { boundHex } from '../domain/ip-range.js';
import { insertedId } from './dialect.js';
import { PreparedInsert } from './prepared-insert.js';
import { expireDecisions, ID_BATCH, insertDecisions, nextSequence, toDecision } from './decisions.js';
import type { Db } from './db.js';
import type { AlertRow, Tables } from './tables.js';

export interface InsertResult {
  ids: number[];
  uuids: string[];
  /** The change sequence the new decisions carry, or 0 when there were none. */
  seq: number;
}

/** Stores alerts with their decisions in one transaction: all or nothing. */
export async function insertAlerts(db: Kysely<Tables>, alerts: NewAlert[], owner: string | null, now = Date.now()): Promise<InsertResult> {
  return db.transaction().execute(async (trx) => {
    const machineRef = owner ? await machineRefOf(trx, owner) : null;
    const seq = alerts.some((a) => a.decisions.length > 0) ? await nextSequence(trx) : 0;
    const result = await insertRows(trx, alerts, machineRef, seq, now);
    if (machineRef !== null) await touchMachine(trx, machineRef, now);
    return result;
  });
}

/** One request's alerts in a batch (`insertAlertBatch`): what `insertAlerts` takes. */
export interface AlertInsert {
  alerts: NewAlert[];
  /** The machine that sent them, or null (cscli). */
  owner: string | null;
  now: number;
}

/** What became of one request of a batch: its rows, or the error that rolled them back. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

// one name for every request's savepoint: each is released (or rolled back to and released) before the next is set
const SAVEPOINT = CompiledQuery.raw('SAVEPOINT lapis_request');
const RELEASE = CompiledQuery.raw('RELEASE SAVEPOINT lapis_request');
const ROLLBACK_TO = CompiledQuery.raw('ROLLBACK TO SAVEPOINT lapis_request');

/**
 * Stores the alerts of several requests in one transaction (group commit), each request inside its own
 * savepoint: a request whose rows fail is rolled back alone and gets its error, the others commit. The new
 * decisions of the whole batch carry one change sequence. Returns each request's outcome, in order, once
 * committed. Throws when the transaction as a whole fails (its commit, a savepoint that cannot be rolled
 * back to because the engine ended the transaction): then nothing of it is stored.
 */
export async function insertAlertBatch(db: Kysely<Tables>, requests: AlertInsert[]): Promise<Settled<InsertResult>[]> {
  return db.transaction().execute(async (trx) => {
    const refs = new Map<string, number | null>();
    for (const r of requests) if (r.owner !== null && !refs.has(r.owner)) refs.set(r.owner, await machineRefOf(trx, r.owner));
    // taken before any savepoint: rolling a request back must not give its sequence back
    const seq = requests.some((r) => r.alerts.some((a) => a.decisions.length > 0)) ? await nextSequence(trx) : 0;
    const pushed = new Map<number, number>();
    const out: Settled<InsertResult>[] = [];
    for (const r of requests) {
      const machineRef = r.owner === null ? null : (refs.get(r.owner) ?? null);
      await trx.executeQuery(SAVEPOINT);
      try {
        const value = await insertRows(trx, r.alerts, machineRef, seq, r.now);
        await trx.executeQuery(RELEASE);
        out.push({ ok: true, value });
        if (machineRef !== null) pushed.set(machineRef, Math.max(r.now, pushed.get(machineRef) ?? 0));
      } catch (error) {
        await trx.executeQuery(ROLLBACK_TO);
        await trx.executeQuery(RELEASE);
        out.push({ ok: false, error });
      }
    }
    for (const [ref, now] of pushed) await touchMachine(trx, ref, now);
    return out;
  });
}

async function machineRefOf(trx: Transaction<Tables>, machineId: string): Promise<number | null> {
  const row = await trx.selectFrom('machines').select('id').where('machine_id', '=', machineId).executeTakeFirst();
  return row ? Number(row.id) : null;
}

async function touchMachine(trx: Transaction<Tables>, machineRef: number, now: number): Promise<void> {
  await trx.updateTable('machines').set({ last_push: now }).where('id', '=', machineRef).execute();
}

/** Inserts alerts and their decisions (under `seq`) inside the caller's transaction. */
async function insertRows(
  trx: Transaction<Tables>,
  alerts: NewAlert[],
  machineRef: number | null,
  seq: number,
  now: number,
): Promise<InsertResult> {
  const ids: number[] = [];
  const uuids: string[] = [];
  let withDecisions = false;
  for (const a of alerts) {
    const row = alertRow(a, machineRef, now);
    const id = insertedId(await trx.executeQuery(ALERT_INSERT.compile(trx, [ALERT_INSERT.columns.map((c) => row[c])], true)));
    if (a.decisions.length > 0) {
      await insertDecisions(trx, id, a.decisions, seq, now);
      withDecisions = true;
    }
    ids.push(id);
    uuids.push(row.uuid);
  }
  return { ids, uuids, seq: withDecisions ? seq : 0 };
}

const ALERT_INSERT = new PreparedInsert('alerts', [
  'uuid',
  'machine_ref',
  'scenario',
  'scenario_hash',
  'scenario_version',
  'message',
  'events_count',
  'started_at',
  'stopped_at',
  'created_at',
  'capacity',
  'leakspeed',
  'simulated',
  'remediation',
  'kind',
  'source_scope',
  'source_value',
  'source_ip',
  'source_range',
  'source_as_number',
  'source_as_name',
  'source_country',
  'source_latitude',
  'source_longitude',
  'events',
  'meta',
  'labels',
]);

/** An alert's row, every column ALERT_INSERT writes and no other (an object literal: a stray key fails to compile). */
function alertRow(
  a: NewAlert,
  machineRef: number | null,
  now: number,
): Record<(typeof ALERT_INSERT.columns)[number], unknown> & { uuid: string } {
  return {
    uuid: crypto.randomUUID(),
    machine_ref: machineRef,
    scenario: a.scenario,
    scenario_hash: a.scenarioHash,
    scenario_version: a.scenarioVersion,
    message: a.message,
    events_count: a.eventsCount,
    started_at: a.startedAt,
    stopped_at: a.stoppedAt,
    created_at: now,
    capacity: a.capacity,
    leakspeed: a.leakspeed,
    simulated: a.simulated ? 1 : 0,
    remediation: a.remediation ? 1 : 0,
    kind: a.kind,
    source_scope: a.source.scope,
    source_value: a.source.value,
    source_ip: a.source.ip,
    source_range: a.source.range,
    source_as_number: a.source.asNumber,
    source_as_name: a.source.asName,
    source_country: a.source.country,
    source_latitude: a.source.latitude,
    source_longitude: a.source.longitude,
    events: JSON.stringify(a.events),
    meta: JSON.stringify(a.meta),
    labels: JSON.stringify(a.labels),
  };
}

function toAlert(r: AlertRow & { owner: string | null }): Alert {
  return {
    id: Number(r.id),
    uuid: r.uuid,
    machineId: r.owner,
    createdAt: Number(r.created_at),
    scenario: r.scenario,
    scenarioHash: r.scenario_hash,
    scenarioVersion: r.scenario_version,
    message: r.message,
    eventsCount: Number(r.events_count),
    startedAt: Number(r.started_at),
    stoppedAt: Number(r.stopped_at),
    capacity: Number(r.capacity),
    leakspeed: r.leakspeed,
    simulated: Boolean(Number(r.simulated)),
    remediation: Boolean(Number(r.remediation)),
    kind: r.kind,
    source: {
      scope: r.source_scope,
      value: r.source_value,
      ip: r.source_ip,
      range: r.source_range,
      asNumber: r.source_as_number,
      asName: r.source_as_name,
      country: r.source_country,
      latitude: Number(r.source_latitude),
      longitude: Number(r.source_longitude),
    },
    events: JSON.parse(r.events) as AlertEvent[],
    meta: JSON.parse(r.meta) as Alert['meta'],
    labels: JSON.parse(r.labels) as string[] | null,
    decisions: null,
  };
}

function baseQuery(db: Db) {
  return db
    .selectFrom('alerts')
    .leftJoin('machines', 'machines.id', 'alerts.machine_ref')
    .selectAll('alerts')
    .select('machines.machine_id as owner');
}

type AlertExpr = ExpressionBuilder<Tables & { alerts: Tables['alerts'] }, 'alerts'>;

/** The WHERE of an alert search, shared by search and delete. */
function where(f: AlertFilter, now: number) {
  return (eb: AlertExpr) => {
    const decisionWith = (cond: (d: ExpressionBuilder<Tables, 'decisions'>) => ReturnType<AlertExpr['and']>) =>
      eb.exists(
        eb
          .selectFrom('decisions')
          .select('decisions.id')
          .whereRef('decisions.alert_id', '=', 'alerts.id')
          .where((d) => cond(d as never)),
      );
    const c = [];
    if (f.scope !== undefined) c.push(eb('alerts.source_scope', '=', f.scope));
    if (f.value !== undefined) c.push(eb('alerts.source_value', '=', f.value));
    if (f.scenario !== undefined) {
      const s = f.scenario;
      c.push(eb.or([eb('alerts.scenario', '=', s), decisionWith((d) => d.and([d('decisions.scenario', '=', s)]))]));
    }
    if (f.range) {
      const r = f.range;
      const lo = boundHex(r.size, r.start);
      const hi = boundHex(r.size, r.end);
      c.push(
        decisionWith((d) =>
          d.and(
            f.contains
              ? [d('decisions.ip_size', '=', r.size), d('decisions.start_ip', '<=', lo), d('decisions.end_ip', '>=', hi)]
              : [d('decisions.ip_size', '=', r.size), d('decisions.start_ip', '>=', lo), d('decisions.end_ip', '<=', hi)],
          ),
        ),
      );
    }
    if (f.startedAfter !== undefined) c.push(eb('alerts.started_at', '>=', f.startedAfter));
    if (f.startedBefore !== undefined) c.push(eb('alerts.started_at', '<=', f.startedBefore));
    if (f.createdBefore !== undefined) c.push(eb('alerts.created_at', '<=', f.createdBefore));
    if (f.decisionType !== undefined) {
      const t = f.decisionType;
      c.push(decisionWith((d) => d.and([d('decisions.type', '=', t)])));
    }
    if (f.origin !== undefined) {
      const o = f.origin;
      c.push(decisionWith((d) => d.and([d('decisions.origin', '=', o)])));
    }
    if (f.includeCapi === false) {
      c.push(eb.not(decisionWith((d) => d.and([d('decisions.origin', 'in', [...CAPI_ORIGINS])]))));
      c.push(
        eb.or([
          decisionWith((d) => d.and([])),
          eb.and([eb('alerts.source_scope', 'not like', 'lists:%'), eb('alerts.source_scope', '!=', 'crowdsecurity/community-blocklist')]),
        ]),
      );
    }
    if (f.hasActiveDecision === true) c.push(decisionWith((d) => d.and([d('decisions.until', '>=', now)])));
    if (f.hasActiveDecision === false) c.push(eb.not(decisionWith((d) => d.and([]))));
    if (f.simulated === false) c.push(eb('alerts.simulated', '=', 0));
    if (f.kind !== undefined) c.push(eb('alerts.kind', '=', f.kind));
    return eb.and(c);
  };
}

/** Alert search (as pkg/database/alerts.go): newest first by default, decisions loaded unless asked not to. */
export async function searchAlerts(db: Db, f: AlertFilter, now = Date.now()): Promise<Alert[]> {
  let q = baseQuery(db)
    .where(where(f, now))
    .orderBy('alerts.created_at', f.sort === 'ASC' ? 'asc' : 'desc')
    .orderBy('alerts.id', f.sort === 'ASC' ? 'asc' : 'desc');
  if (f.limit > 0) q = q.limit(f.limit);
  const alerts = (await q.execute()).map(toAlert);
  if (f.withDecisions) await attachDecisions(db, alerts);
  return alerts;
}

export async function getAlert(db: Db, id: number): Promise<Alert | undefined> {
  const row = await baseQuery(db).where('alerts.id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const alert = toAlert(row);
  await attachDecisions(db, [alert]);
  return alert;
}

async function attachDecisions(db: Db, alerts: Alert[]): Promise<void> {
  const byAlert = new Map(alerts.map((a) => [a.id, a]));
  for (const a of alerts) a.decisions = [];
  const ids = [...byAlert.keys()];
  for (let i = 0; i < ids.length; i += ID_BATCH) {
    const rows = await db
      .selectFrom('decisions')
      .selectAll()
      .where('alert_id', 'in', ids.slice(i, i + ID_BATCH))
      .orderBy('id')
      .execute();
    for (const r of rows) byAlert.get(Number(r.alert_id))?.decisions?.push(toDecision(r));
  }
}

/**
 * Deletes alerts. Their still-active decisions are expired first under a new change sequence, so
 * bouncers receive them in `deleted` (upstream hard-deletes them and bouncers never learn); the rows
 * stay, detached, until the purge. Returns the number of alerts deleted.
 */
export async function deleteAlerts(db: Kysely<Tables>, ids: number[], now = Date.now()): Promise<number> {
  if (ids.length === 0) return 0;
  return db.transaction().execute(async (trx) => {
    const seq = await nextSequence(trx);
    let deleted = 0;
    for (let i = 0; i < ids.length; i += ID_BATCH) {
      const batch = ids.slice(i, i + ID_BATCH);
      const active = await trx.selectFrom('decisions').select('id').where('alert_id', 'in', batch).where('until', '>', now).execute();
      await expireDecisions(
        trx,
        active.map((r) => Number(r.id)),
        now,
        seq,
        true,
      );
      await trx.updateTable('decisions').set({ alert_id: null }).where('alert_id', 'in', batch).execute();
      deleted += Number((await trx.deleteFrom('alerts').where('id', 'in', batch).executeTakeFirst()).numDeletedRows);
    }
    return deleted;
  });
}

/** Ids of the alerts a filter selects (deletion ignores `limit`, as upstream). */
export async function matchingAlertIds(db: Db, f: AlertFilter, now = Date.now()): Promise<number[]> {
  const rows = await db
    .selectFrom('alerts')
    .select('alerts.id')
    .where(where(f, now) as never)
    .execute();
  return rows.map((r) => Number(r.id));
}
