import type { Alert, NewAlert } from '../domain/alert.js';
import { ipOrRangeOrNull } from '../domain/ip-range.js';
import { isIpScope } from '../domain/scope.js';
import type { AllowlistView } from '../engine/allowlists.js';
import { alertWire } from '../api/wire.js';
import type { LapiMetrics } from '../metrics/lapi.js';
import type { UseCaseDeps } from './deps.js';

/** Where ingestion says what it dropped: the request's logger, so that the lines carry its id. */
export interface IngestLog {
  info(obj: object, msg: string): void;
}

/**
 * An agent's alert push (`POST /v1/alerts`): alerts whose source an allowlist of the machine covers are
 * dropped; profiles give decisions to the alerts that came without and choose notifications; decisions
 * profiles gave for an allowlisted value are dropped; the rest is stored all or nothing, in a transaction
 * shared with concurrent pushes (group commit: it resolves once that commit holds its rows); this node
 * serves the new decisions before the agent has its answer; then the notifiers get their copies.
 * `parsed`: the alerts as decoded, changed in place. Returns the stored alerts' ids, in order.
 */
export async function ingestAlerts(
  deps: Pick<UseCaseDeps, 'db' | 'allowlists' | 'profiles' | 'metrics' | 'notifier' | 'settle' | 'alertCommits'>,
  machineId: string,
  parsed: NewAlert[],
  log: IngestLog,
  now = Date.now(),
): Promise<number[]> {
  const view = deps.allowlists.viewFor({ kind: 'machine', name: machineId }, now);
  const drop = view && { view, machineId, log, metrics: deps.metrics };
  const alerts = drop ? dropAllowlisted(drop, parsed, now) : parsed;
  const bare = alerts.filter((a) => a.decisions.length === 0);
  const { notify } = await deps.profiles.apply(deps.db, alerts, now);
  if (drop) dropAllowlistedDecisions(drop, bare);
  const { ids, uuids } = await deps.alertCommits.submit({ alerts, owner: machineId, now });
  await deps.settle('decisions');
  if (deps.notifier) {
    alerts.forEach((a, i) => {
      for (const name of notify[i] ?? [])
        deps.notifier!.enqueue(name, [alertWire(storedAlert(a, ids[i]!, uuids[i]!, machineId, now), now)]);
    });
  }
  return ids;
}

/** What the allowlist drops look at (the machine's allowlists) and where they report. */
interface Drop {
  view: AllowlistView;
  machineId: string;
  log: IngestLog;
  metrics: LapiMetrics | undefined;
}

/**
 * An agent's alert (one without decisions) whose source the machine's allowlists cover is dropped before
 * profiles see it, as upstream: not stored, not notified. Alerts that come with their decisions (cscli,
 * `--bypass-allowlist`) are kept as sent.
 */
function dropAllowlisted({ view, machineId, log, metrics }: Drop, alerts: NewAlert[], now: number): NewAlert[] {
  return alerts.filter((a) => {
    if (a.decisions.length > 0 || !isIpScope(a.source.scope)) return true;
    const range = ipOrRangeOrNull(a.source.value);
    const reasons = range ? view.reasons(range, now) : [];
    if (reasons.length === 0) return true;
    log.info(
      { machine: machineId, scenario: a.scenario, value: a.source.value, allowlisted_by: reasons },
      'alert dropped: its source is allowlisted',
    );
    metrics?.allowlisted.inc({ what: 'alert', machine: machineId });
    return false;
  });
}

/** Decisions profiles gave for an allowlisted value (a range around the source, say) are dropped too. */
function dropAllowlistedDecisions({ view, machineId, log, metrics }: Drop, alerts: NewAlert[]): void {
  for (const a of alerts) {
    const kept = a.decisions.filter((d) => !(d.range && view.ranges.overlaps(d.range)));
    const dropped = a.decisions.length - kept.length;
    if (dropped === 0) continue;
    log.info({ machine: machineId, scenario: a.scenario, dropped }, 'decisions dropped: their value is allowlisted');
    metrics?.allowlisted.inc({ what: 'decision', machine: machineId }, dropped);
    a.decisions = kept;
  }
}

/** The alert as just stored, for notifications (its decisions' ids are not read back). */
function storedAlert(a: NewAlert, id: number, uuid: string, machineId: string, now: number): Alert {
  return {
    ...a,
    id,
    uuid,
    machineId,
    createdAt: now,
    decisions: a.decisions.map((d) => ({ ...d, id: 0, uuid: '', alertId: id, seq: 0, createdAt: now })),
  };
}
