import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Alert, AlertEvent } from '../domain/alert.js';
import type { AlertFilter } from '../domain/alert-filter.js';
import { CAPI_ORIGINS } from '../domain/decision.js';
import { boundHex } from '../domain/ip-range.js';
import { expireDecisions, ID_BATCH, nextSequence, toDecision } from './decisions.js';
import type { Db } from './db.js';
import type { AlertRow, Tables } from './tables.js';

export { type InsertResult, insertAlerts } from './alert-insert.js';

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
