import type { Kysely } from 'kysely';
import type { HubItemState } from './machines.js';
import type { MachineTable, Tables } from './tables.js';

type SenderColumns = Pick<MachineTable, 'os_name' | 'os_family' | 'os_version' | 'feature_flags'>;

/** One metrics window, as the swagger's DetailedMetrics (only its named fields). */
export interface DetailedMetrics {
  meta: { window_size_seconds: number; utc_now_timestamp: number };
  items: { name: string; unit: string; value: number; labels?: Record<string, string> }[];
}

/** What one usage-metrics push says about its sender; the API layer builds it from validated fields only. */
export interface UsageReport {
  version?: string | undefined;
  os?: { name?: string | undefined; family?: string | undefined; version?: string | undefined } | undefined;
  featureFlags?: string[] | undefined;
  metrics: DetailedMetrics[];
}

export type UsageSender =
  | { kind: 'LP'; machineId: string; hubstate: Record<string, HubItemState[]>; datasources: Record<string, number> }
  | { kind: 'RC'; bouncerId: number; bouncerName: string; type?: string | undefined };

/** The columns of a machine or bouncer row that usage-metrics pushes fill: all empty until the first. */
export function senderColumns(report: Pick<UsageReport, 'os' | 'featureFlags'> = {}): SenderColumns {
  return {
    os_name: report.os?.name ?? '',
    os_family: report.os?.family ?? '',
    os_version: report.os?.version ?? '',
    feature_flags: (report.featureFlags ?? []).join(','),
  };
}

/** Those columns read back from a machine or bouncer row. */
export function senderInfo(r: SenderColumns): { os: { name: string; family: string; version: string }; featureFlags: string[] } {
  return {
    os: { name: r.os_name, family: r.os_family, version: r.os_version },
    featureFlags: r.feature_flags === '' ? [] : r.feature_flags.split(','),
  };
}

/**
 * Stores one usage-metrics push and what it says about the sender, in one transaction. Every column is
 * named here; the stored payload is `{type?, metrics}` (RC) or `{metrics}` (LP), as upstream's.
 */
export async function recordUsageMetrics(db: Kysely<Tables>, who: UsageSender, report: UsageReport, now = Date.now()): Promise<void> {
  const common = {
    ...(report.version ? { version: report.version } : {}),
    ...senderColumns(report),
    updated_at: now,
  };
  const payload = who.kind === 'RC' ? { type: who.type, metrics: report.metrics } : { metrics: report.metrics };
  await db.transaction().execute(async (trx) => {
    if (who.kind === 'LP') {
      await trx
        .updateTable('machines')
        .set({ ...common, hubstate: JSON.stringify(who.hubstate), datasources: JSON.stringify(who.datasources) })
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

/** One stored push, read back: the sender, the bouncer type it gave (RC), its windows. */
export interface StoredUsage {
  kind: 'LP' | 'RC';
  sender: string;
  type?: string | undefined;
  receivedAt: number;
  metrics: DetailedMetrics[];
}

function parsePayload(payload: string): { type?: string; metrics: DetailedMetrics[] } | undefined {
  try {
    const v = JSON.parse(payload) as { type?: unknown; metrics?: unknown };
    if (!v || typeof v !== 'object' || !Array.isArray(v.metrics)) return undefined;
    return { ...(typeof v.type === 'string' ? { type: v.type } : {}), metrics: v.metrics as DetailedMetrics[] };
  } catch {
    return undefined;
  }
}

/**
 * The stored pushes, oldest first, of one kind of sender (`RC` bouncers, `LP` agents), or of both, and of one
 * sender when `sender` is given: one query. Rows are what recordUsageMetrics wrote; one that does not parse
 * (written by hand) is skipped rather than failing a scrape or an inspect.
 */
export async function readUsageMetrics(db: Kysely<Tables>, filter: { kind?: 'LP' | 'RC'; sender?: string } = {}): Promise<StoredUsage[]> {
  let q = db.selectFrom('metrics').select(['generated_type', 'generated_by', 'received_at', 'payload']);
  if (filter.kind) q = q.where('generated_type', '=', filter.kind);
  if (filter.sender !== undefined) q = q.where('generated_by', '=', filter.sender);
  const rows = await q.orderBy('received_at').orderBy('id').execute();
  const out: StoredUsage[] = [];
  for (const r of rows) {
    const p = parsePayload(r.payload);
    if (!p || (r.generated_type !== 'LP' && r.generated_type !== 'RC')) continue;
    out.push({ kind: r.generated_type, sender: r.generated_by, type: p.type, receivedAt: Number(r.received_at), metrics: p.metrics });
  }
  return out;
}

/** An agent's datasources as its last usage-metrics push gave them (`{file: 2}`); undefined for an unknown machine. */
export async function getMachineDatasources(db: Kysely<Tables>, machineId: string): Promise<Record<string, number> | undefined> {
  const row = await db.selectFrom('machines').select('datasources').where('machine_id', '=', machineId).executeTakeFirst();
  if (!row) return undefined;
  try {
    const v: unknown = JSON.parse(row.datasources);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    return Object.fromEntries(Object.entries(v).filter((e): e is [string, number] => typeof e[1] === 'number'));
  } catch {
    return {};
  }
}
