import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { NewAlert } from '../domain/alert.js';
import { insertedId, insertReturnsRows } from './dialect.js';
import { insertDecisions, nextSequence } from './decisions.js';
import { PreparedInsert } from './prepared-insert.js';
import type { Tables } from './tables.js';

export interface InsertResult {
  ids: number[];
  uuids: string[];
  /** The change sequence the new decisions carry, or 0 when there were none. */
  seq: number;
}

/** One request's alerts: what `insertAlerts` takes, and each item of a batch. */
export interface AlertInsert {
  alerts: NewAlert[];
  /** The machine that sent them, or null (cscli). */
  owner: string | null;
  now: number;
}

/** What became of one request of a batch: its rows, or the error that rolled them back. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Stores alerts with their decisions in one transaction: all or nothing. */
export async function insertAlerts(db: Kysely<Tables>, alerts: NewAlert[], owner: string | null, now = Date.now()): Promise<InsertResult> {
  return (await insertAlertsTogether(db, [{ alerts, owner, now }]))[0]!;
}

/**
 * Stores the alerts of several requests in one transaction, all or nothing, in as few statements as the engine
 * allows: one INSERT for every alert of the batch where the engine reports the rows it inserted (else one per
 * alert), one for every decision, under one change sequence. Returns each request's ids, in order, once
 * committed; throws if anything fails, and then nothing is stored (`insertAlertBatch` then tells the requests
 * apart).
 */
export async function insertAlertsTogether(db: Kysely<Tables>, requests: AlertInsert[]): Promise<InsertResult[]> {
  return db.transaction().execute(async (trx) => {
    const { refs, seq } = await openBatch(trx, requests);
    const alerts = requests.flatMap((r) => r.alerts.map((a) => ({ a, row: alertRow(a, refOf(refs, r.owner), r.now), now: r.now })));
    const ids = await insertAlertRows(trx, alerts);
    const decisions = alerts.flatMap(({ a, now }, i) => a.decisions.map((decision) => ({ alertId: ids[i]!, decision, now })));
    if (decisions.length > 0) await insertDecisions(trx, decisions, seq);
    await touchMachines(trx, refs, requests);
    let at = 0;
    return requests.map((r) => {
      const mine = alerts.slice(at, at + r.alerts.length);
      const result = {
        ids: ids.slice(at, at + r.alerts.length),
        uuids: mine.map((m) => m.row.uuid),
        seq: mine.some((m) => m.a.decisions.length > 0) ? seq : 0,
      };
      at += r.alerts.length;
      return result;
    });
  });
}

// one name for every request's savepoint: each is released (or rolled back to and released) before the next is set
const SAVEPOINT = CompiledQuery.raw('SAVEPOINT lapis_request');
const RELEASE = CompiledQuery.raw('RELEASE SAVEPOINT lapis_request');
const ROLLBACK_TO = CompiledQuery.raw('ROLLBACK TO SAVEPOINT lapis_request');

/**
 * Stores the alerts of several requests in one transaction, each request inside its own savepoint: a request
 * whose rows fail is rolled back alone and gets its error, the others commit. The new decisions of the whole
 * batch carry one change sequence. Returns each request's outcome, in order, once committed. Throws when the
 * transaction as a whole fails (its commit, a savepoint that cannot be rolled back to because the engine
 * ended the transaction): then nothing of it is stored.
 */
export async function insertAlertBatch(db: Kysely<Tables>, requests: AlertInsert[]): Promise<Settled<InsertResult>[]> {
  return db.transaction().execute(async (trx) => {
    // the sequence is taken before any savepoint: rolling a request back must not give it back
    const { refs, seq } = await openBatch(trx, requests);
    const stored: AlertInsert[] = [];
    const out: Settled<InsertResult>[] = [];
    for (const r of requests) {
      await trx.executeQuery(SAVEPOINT);
      try {
        const rows = r.alerts.map((a) => ({ a, row: alertRow(a, refOf(refs, r.owner), r.now), now: r.now }));
        const ids = await insertAlertRows(trx, rows);
        const decisions = r.alerts.flatMap((a, i) => a.decisions.map((decision) => ({ alertId: ids[i]!, decision, now: r.now })));
        if (decisions.length > 0) await insertDecisions(trx, decisions, seq);
        await trx.executeQuery(RELEASE);
        out.push({ ok: true, value: { ids, uuids: rows.map((x) => x.row.uuid), seq: decisions.length > 0 ? seq : 0 } });
        stored.push(r);
      } catch (error) {
        await trx.executeQuery(ROLLBACK_TO);
        await trx.executeQuery(RELEASE);
        out.push({ ok: false, error });
      }
    }
    await touchMachines(trx, refs, stored);
    return out;
  });
}

/** What a batch's requests share: their machines' ids (looked up once each) and, if they carry decisions, one change sequence. */
async function openBatch(trx: Transaction<Tables>, requests: AlertInsert[]): Promise<{ refs: Map<string, number | null>; seq: number }> {
  const refs = new Map<string, number | null>();
  for (const r of requests) {
    if (r.owner === null || refs.has(r.owner)) continue;
    const row = await trx.selectFrom('machines').select('id').where('machine_id', '=', r.owner).executeTakeFirst();
    refs.set(r.owner, row ? Number(row.id) : null);
  }
  const seq = requests.some((r) => r.alerts.some((a) => a.decisions.length > 0)) ? await nextSequence(trx) : 0;
  return { refs, seq };
}

function refOf(refs: Map<string, number | null>, owner: string | null): number | null {
  return owner === null ? null : (refs.get(owner) ?? null);
}

/** Each machine's `last_push`: the latest `now` among its requests. */
async function touchMachines(trx: Transaction<Tables>, refs: Map<string, number | null>, requests: AlertInsert[]): Promise<void> {
  const latest = new Map<number, number>();
  for (const r of requests) {
    const ref = refOf(refs, r.owner);
    if (ref !== null) latest.set(ref, Math.max(r.now, latest.get(ref) ?? 0));
  }
  for (const [ref, now] of latest) await trx.updateTable('machines').set({ last_push: now }).where('id', '=', ref).execute();
}

/**
 * SQLite binds at most 32,766 values per statement and PostgreSQL 65,535; an alert row takes 27, so 500
 * alerts per INSERT stay well inside both.
 */
const ALERT_BATCH = 500;

/** Inserts alert rows; returns their ids, in order. */
async function insertAlertRows(trx: Transaction<Tables>, alerts: { row: AlertValues }[]): Promise<number[]> {
  const values = (row: AlertValues) => ALERT_INSERT.columns.map((c) => row[c]);
  if (alerts.length === 1 || !insertReturnsRows(trx)) {
    const ids: number[] = [];
    for (const { row } of alerts) ids.push(insertedId(await trx.executeQuery(ALERT_INSERT.compile(trx, [values(row)], 'id'))));
    return ids;
  }
  const ids: number[] = [];
  for (let i = 0; i < alerts.length; i += ALERT_BATCH) {
    const chunk = alerts.slice(i, i + ALERT_BATCH);
    const result = await trx.executeQuery(
      ALERT_INSERT.compile(
        trx,
        chunk.map((x) => values(x.row)),
        ['id', 'uuid'],
      ),
    );
    // RETURNING lists rows in no promised order: matched by uuid
    const byUuid = new Map((result.rows as { id: unknown; uuid: string }[]).map((r) => [r.uuid, Number(r.id)]));
    for (const { row } of chunk) {
      const id = byUuid.get(row.uuid);
      if (id === undefined) throw new Error('INSERT … RETURNING did not report every alert');
      ids.push(id);
    }
  }
  return ids;
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

type AlertValues = Record<(typeof ALERT_INSERT.columns)[number], unknown> & { uuid: string };

/** An alert's row, every column ALERT_INSERT writes and no other (an object literal: a stray key fails to compile). */
function alertRow(a: NewAlert, machineRef: number | null, now: number): AlertValues {
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
