import type { Kysely } from 'kysely';
import type { Tables } from './tables.js';

export interface ComponentReport {
  version?: string | undefined;
  os?: { name?: string | undefined; family?: string | undefined; version?: string | undefined } | undefined;
  featureFlags?: string[] | undefined;
}

/** Stores one usage-metrics payload and what it says about the sender, in one transaction. */
export async function recordUsageMetrics(
  db: Kysely<Tables>,
  who: { kind: 'LP'; machineId: string; hubstate?: unknown; datasources?: unknown } | { kind: 'RC'; bouncerId: number; bouncerName: string },
  report: ComponentReport,
  payload: unknown,
  now = Date.now(),
): Promise<void> {
  const common = {
    ...(report.version ? { version: report.version } : {}),
    os_name: report.os?.name ?? '',
    os_family: report.os?.family ?? '',
    os_version: report.os?.version ?? '',
    feature_flags: (report.featureFlags ?? []).join(','),
    updated_at: now,
  };
  await db.transaction().execute(async (trx) => {
    if (who.kind === 'LP') {
      await trx
        .updateTable('machines')
        .set({ ...common, hubstate: JSON.stringify(who.hubstate ?? {}), datasources: JSON.stringify(who.datasources ?? {}) })
        .where('machine_id', '=', who.machineId)
        .execute();
    } else {
      await trx.updateTable('bouncers').set(common).where('id', '=', who.bouncerId).execute();
    }
    await trx
      .insertInto('metrics')
      .values({
        generated_type: who.kind,
        generated_by: who.kind === 'LP' ? who.machineId : who.bouncerName,
        received_at: now,
        pushed_at: null,
        payload: JSON.stringify(payload),
      })
      .execute();
  });
}

/** Deletes metrics received before `before` (`db_config.flush.metrics_max_age`, default 7 days). */
export async function flushUsageMetrics(db: Kysely<Tables>, before: number): Promise<number> {
  const r = await db.deleteFrom('metrics').where('received_at', '<=', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}
