import { Gauge, type Registry } from 'prom-client';
import { aggregateBouncerUsage, type UsageWindowsOf } from '../domain/usage-metrics.js';
import type { Db } from '../store/db.js';
import { readUsageMetrics } from '../store/usage-metrics.js';

/**
 * The usage metrics bouncers and agents push (`POST /v1/usage-metrics`), exported to Prometheus: what
 * crowdsecurity/crowdsec#3742 asks for. Computed at scrape from the `metrics` table (small: a push every 15 to
 * 30 minutes per client, kept `db_config.flush.metrics_max_age`, 7 days by default), with the semantics of
 * `cscli metrics show bouncers`:
 *
 * - `lapis_bouncer_usage_sum{bouncer,type,metric,unit,origin,remediation,ip_type}`: counters (`dropped`,
 *   `processed`…) summed over the stored windows. A gauge, not a counter: it drops when old windows are flushed.
 * - `lapis_bouncer_usage_latest{…same labels}`: gauges (`active_decisions`, any `*_gauge`), the latest value.
 * - `lapis_bouncer_usage_since_timestamp_seconds{bouncer}`: the oldest stored window, what the sums run from.
 * - `lapis_agent_usage_sum{machine,metric,unit,datasource_type,source,acquis_type}`: agents' acquisition
 *   (`read`, `global_parsed`, `global_unparsed` lines) summed likewise.
 *
 * Label values are as sent, each at most 255 characters (checked on input); item labels other than these
 * are summed over. Labels name bouncers and machines, so `prometheus.level: aggregated` drops these families.
 */
export const USAGE_FAMILIES = [
  'lapis_bouncer_usage_sum',
  'lapis_bouncer_usage_latest',
  'lapis_bouncer_usage_since_timestamp_seconds',
  'lapis_agent_usage_sum',
] as const;

/** How long one read of the table serves scrapes: the four families of a scrape share it, and scrapers that come in a burst. */
const CACHE_MS = 5_000;

const AGENT_METRICS = new Set(['read', 'global_parsed', 'global_unparsed']);
const BOUNCER_LABELS = ['bouncer', 'type', 'metric', 'unit', 'origin', 'remediation', 'ip_type'] as const;
const AGENT_LABELS = ['machine', 'metric', 'unit', 'datasource_type', 'source', 'acquis_type'] as const;

interface Snapshot {
  bouncers: ReturnType<typeof aggregateBouncerUsage>;
  agents: Map<string, { labels: Record<(typeof AGENT_LABELS)[number], string>; value: number }>;
}

function agentSums(pushes: readonly UsageWindowsOf[]): Snapshot['agents'] {
  const out: Snapshot['agents'] = new Map();
  for (const p of pushes)
    for (const w of p.metrics)
      for (const it of w.items) {
        if (!AGENT_METRICS.has(it.name)) continue;
        const l = it.labels ?? {};
        const labels = {
          machine: p.sender,
          metric: it.name,
          unit: it.unit,
          datasource_type: l.datasource_type ?? '',
          source: l.source ?? '',
          acquis_type: l.acquis_type ?? '',
        };
        const k = JSON.stringify(Object.values(labels));
        const cur = out.get(k);
        if (cur) cur.value += it.value;
        else out.set(k, { labels, value: it.value });
      }
  return out;
}

async function readSnapshot(db: Db): Promise<Snapshot> {
  const rows = await readUsageMetrics(db);
  const rc = rows.filter((r) => r.kind === 'RC');
  const lp = rows.filter((r) => r.kind === 'LP');
  return { bouncers: aggregateBouncerUsage(rc), agents: agentSums(lp) };
}

/**
 * Adds the usage families to `registry`. Every family reads the same snapshot: at most one query per
 * CACHE_MS whatever the number of families or scrapers; a failed query is not cached.
 */
export function registerUsageMetrics(registry: Registry, db: Db, cacheMs = CACHE_MS): void {
  let cached: { at: number; snapshot: Promise<Snapshot> } | undefined;
  const snapshot = (): Promise<Snapshot> => {
    const now = Date.now();
    if (!cached || now - cached.at >= cacheMs) {
      const entry = { at: now, snapshot: readSnapshot(db) };
      entry.snapshot.catch(() => {
        if (cached === entry) cached = undefined;
      });
      cached = entry;
    }
    return cached.snapshot;
  };
  // counters (summed over the windows) and gauges (the latest value) of the same series, in two families
  const bouncerFamily = (name: string, help: string, gauges: boolean) =>
    new Gauge({
      name,
      help,
      labelNames: BOUNCER_LABELS,
      registers: [registry],
      async collect() {
        const s = await snapshot();
        this.reset();
        for (const b of s.bouncers)
          for (const x of b.series) {
            if (x.gauge !== gauges) continue;
            const labels = { bouncer: b.bouncer, type: b.type, metric: x.name, unit: x.unit, origin: x.origin };
            this.set({ ...labels, remediation: x.remediation, ip_type: x.ipType }, x.value);
          }
      },
    });
  bouncerFamily(
    'lapis_bouncer_usage_sum',
    'Bouncer usage counters (dropped, processed...) as pushed to /v1/usage-metrics, summed over the stored windows.',
    false,
  );
  bouncerFamily(
    'lapis_bouncer_usage_latest',
    'Bouncer usage gauges (active_decisions...) as pushed to /v1/usage-metrics, the latest value.',
    true,
  );
  new Gauge({
    name: 'lapis_bouncer_usage_since_timestamp_seconds',
    help: "The oldest stored usage-metrics window of each bouncer (unix seconds): where lapis_bouncer_usage_sum's sums start.",
    labelNames: ['bouncer'],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const b of s.bouncers) this.set({ bouncer: b.bouncer }, b.since);
    },
  });
  new Gauge({
    name: 'lapis_agent_usage_sum',
    help: 'Agent acquisition lines (read, global_parsed, global_unparsed) as pushed to /v1/usage-metrics, summed over the stored windows.',
    labelNames: AGENT_LABELS,
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const a of s.agents.values()) this.set(a.labels, a.value);
    },
  });
}
