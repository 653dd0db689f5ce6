import { Type, type Static } from '@sinclair/typebox';
import type { HubItemState } from '../../store/machines.js';
import type { DetailedMetrics, UsageReport } from '../../store/usage-metrics.js';

/**
 * The swagger's AllMetrics (pkg/models/localapi_swagger.yaml), with bounds on what one push may store. Upstream has
 * none past its 50 MiB body cap, and stored every field as sent. Here only the fields the swagger names
 * are kept, and one push is bounded as follows:
 * - every string the swagger names: at most 255 chars (its own bound on version, os, name, unit and
 *   label values, extended to type, feature flags, label keys, hub item fields and datasource names);
 * - `metrics`: 16 windows per component (agents and bouncers send one per push);
 * - `items`: 2,000 per window (a bouncer sends tens, an agent one per log source and metric);
 * - `labels`: 32 per item; `feature_flags`: 100;
 * - `hub_items`: 32 item types, 5,000 items per type (the whole hub is about 3,000 items);
 * - `datasources`: 256 entries;
 * - integers: within ±(2^53−1), what a JSON number carries exactly (the swagger's int64 goes further);
 * - the stored metrics of one push, as JSON: 2 MiB (MAX_STORED_BYTES), whatever the counts above allow.
 * Past a bound: 422 `validation failure list:\n<field> in body …`, as go-openapi words its bounds.
 * `lapi` is accepted and ignored: nothing of it is stored.
 */
export const MAX_TEXT = 255;
export const MAX_STORED_BYTES = 2 * 1024 * 1024;

const Text = Type.String({ maxLength: MAX_TEXT });
const Int = Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER });

const Item = Type.Object({
  name: Text,
  value: Type.Number(),
  unit: Text,
  labels: Type.Optional(Type.Record(Type.String(), Text, { maxProperties: 32 })),
});
const Detailed = Type.Object({
  meta: Type.Object({ window_size_seconds: Int, utc_now_timestamp: Int }),
  items: Type.Array(Item, { maxItems: 2000 }),
});
const HubItem = Type.Object({ name: Type.Optional(Text), status: Type.Optional(Text), version: Type.Optional(Text) });
const Base = {
  version: Text,
  os: Type.Optional(Type.Object({ name: Text, family: Type.Optional(Text), version: Text })),
  metrics: Type.Optional(Type.Array(Detailed, { maxItems: 16 })),
  feature_flags: Type.Optional(Type.Array(Text, { maxItems: 100 })),
  utc_startup_timestamp: Int,
};
const RemediationComponent = Type.Object({
  ...Base,
  type: Type.Optional(Text),
  name: Type.Optional(Type.String()),
  last_pull: Type.Optional(Int),
});
const LogProcessor = Type.Object({
  ...Base,
  hub_items: Type.Record(Type.String(), Type.Array(HubItem, { maxItems: 5000 }), { maxProperties: 32 }),
  datasources: Type.Record(Type.String(), Int, { maxProperties: 256 }),
  name: Type.Optional(Type.String()),
  last_push: Type.Optional(Int),
  last_update: Type.Optional(Int),
});
/** Upstream refuses more than one component of a kind with its own 400, after validation: the bound only caps the work. */
export const AllMetrics = Type.Object({
  remediation_components: Type.Optional(Type.Array(RemediationComponent, { maxItems: 16 })),
  log_processors: Type.Optional(Type.Array(LogProcessor, { maxItems: 16 })),
  lapi: Type.Optional(Type.Unknown()),
});
export type AllMetricsInput = Static<typeof AllMetrics>;
type Component = Static<typeof RemediationComponent> | Static<typeof LogProcessor>;

/** A map key past MAX_TEXT, named by its map's path (the key itself is not echoed). */
function longKey(map: Record<string, unknown> | undefined, path: string): string | undefined {
  if (map && Object.keys(map).some((k) => k.length > MAX_TEXT)) return `${path} in body has a key longer than ${MAX_TEXT} chars`;
  return undefined;
}

/** Problems the schema cannot express (map key lengths, the stored size), in go-openapi's wording; [] when none. */
export function storageProblems(c: Component, path: string): string[] {
  const out: string[] = [];
  for (const [i, w] of (c.metrics ?? []).entries()) {
    for (const [j, it] of w.items.entries()) out.push(longKey(it.labels, `${path}.metrics.${i}.items.${j}.labels`) ?? '');
  }
  if ('hub_items' in c) out.push(longKey(c.hub_items, `${path}.hub_items`) ?? '', longKey(c.datasources, `${path}.datasources`) ?? '');
  const problems = out.filter((p) => p !== '');
  if (problems.length > 0) return problems;
  const size = Buffer.byteLength(JSON.stringify(metricsOf(c)));
  return size > MAX_STORED_BYTES ? [`${path}.metrics in body should take at most ${MAX_STORED_BYTES} bytes stored, not ${size}`] : [];
}

/** The windows, rebuilt from the named fields only. */
function metricsOf(c: Component): DetailedMetrics[] {
  return (c.metrics ?? []).map((w) => ({
    meta: { window_size_seconds: w.meta.window_size_seconds, utc_now_timestamp: w.meta.utc_now_timestamp },
    items: w.items.map((it) => ({ name: it.name, unit: it.unit, value: it.value, ...(it.labels ? { labels: { ...it.labels } } : {}) })),
  }));
}

/** What a validated component reports about its sender, named fields only. */
export function reportOf(c: Component): UsageReport {
  return {
    version: c.version,
    os: c.os && { name: c.os.name, family: c.os.family, version: c.os.version },
    featureFlags: c.feature_flags,
    metrics: metricsOf(c),
  };
}

/** An agent's hub state, named fields only (`{type: [{name, status, version}]}`, as upstream stores it). */
export function hubStateOf(c: Static<typeof LogProcessor>): Record<string, HubItemState[]> {
  // fromEntries defines keys: a `__proto__` item type stays a key, never a prototype
  return Object.fromEntries(
    Object.entries(c.hub_items).map(([type, items]) => [
      type,
      items.map((i) => ({ name: i.name ?? '', status: i.status ?? '', version: i.version ?? '' })),
    ]),
  );
}

/**
 * The body with every `null` object member removed, as Go's decoder reads it: null leaves a field at its zero
 * value, so an optional one is absent and a required one still fails its `required` check. Clients built on
 * crowdsec's models send nulls: cs-firewall-bouncer `"log_processors": null`, agents `"remediation_components": null`
 * and, with no feature enabled, `"feature_flags": null`. Array elements are kept (a `null` item stays an error).
 */
export function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v === null || typeof v !== 'object') return v;
  // fromEntries defines keys: a `__proto__` member stays a key
  return Object.fromEntries(
    Object.entries(v)
      .filter(([, x]) => x !== null)
      .map(([k, x]) => [k, withoutNulls(x)]),
  );
}
