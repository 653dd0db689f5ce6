/**
 * Usage metrics (what `POST /v1/usage-metrics` stores) aggregated as cscli reads them: bouncers as
 * `cscli metrics show bouncers` (cmd/crowdsec-cli/climetrics/statbouncer.go), agents as `cscli machines inspect`
 * (climachine/inspect.go). Pure: the store hands the windows in.
 */

/** One stored push: who sent it, and its windows as the swagger's DetailedMetrics. */
export interface UsageWindowsOf {
  sender: string;
  /** The bouncer's `type` as that push said it (RC only). */
  type?: string | undefined;
  metrics: {
    meta: { utc_now_timestamp: number };
    items: { name: string; unit: string; value: number; labels?: Record<string, string> }[];
  }[];
}

/** The item labels bouncers send that Lapis keeps (cs-firewall-bouncer: origin, ip_type; nodejs-bouncer: origin, remediation). */
export interface BouncerSeriesKey {
  name: string;
  unit: string;
  origin: string;
  remediation: string;
  ipType: string;
}

export interface BouncerSeries extends BouncerSeriesKey {
  /** Counters: the sum over the stored windows; gauges: the value of the latest window. */
  value: number;
  gauge: boolean;
}

export interface BouncerUsage {
  bouncer: string;
  /** The type the latest push gave ('' when none). */
  type: string;
  /** The oldest window's `utc_now_timestamp`, unix seconds: what the totals run from. */
  since: number;
  series: BouncerSeries[];
}

/** As upstream's statBouncer.isGauge: `active_decisions` and any `*_gauge` keep their latest value; the rest are summed. */
export function isGaugeName(name: string): boolean {
  return name === 'active_decisions' || name.endsWith('_gauge');
}

const keyOf = (k: BouncerSeriesKey) => JSON.stringify([k.name, k.unit, k.origin, k.remediation, k.ipType]);

/**
 * Per bouncer (sorted by name), its series sorted by name, unit, origin, remediation, ip type. As upstream,
 * an item repeated with the same window time, labels and value counts once (a push sent twice); labels other
 * than origin, remediation and ip_type are summed over (so the export's label set stays fixed).
 */
export function aggregateBouncerUsage(pushes: readonly UsageWindowsOf[]): BouncerUsage[] {
  type Point = BouncerSeriesKey & { at: number; value: number };
  const seen = new Set<string>();
  const points = new Map<string, Point[]>();
  const latestType = new Map<string, { at: number; type: string }>();
  for (const p of pushes) {
    for (const w of p.metrics) {
      const at = w.meta.utc_now_timestamp;
      const t = latestType.get(p.sender);
      if (!t || at >= t.at) latestType.set(p.sender, { at, type: p.type ?? t?.type ?? '' });
      for (const it of w.items) {
        const l = it.labels ?? {};
        const pt: Point = {
          name: it.name,
          unit: it.unit,
          origin: l.origin ?? '',
          remediation: l.remediation ?? '',
          ipType: l.ip_type ?? '',
          at,
          value: it.value,
        };
        const dedup = JSON.stringify([p.sender, at, it.name, it.unit, it.value, Object.entries(l).sort()]);
        if (seen.has(dedup)) continue;
        seen.add(dedup);
        const list = points.get(p.sender) ?? [];
        list.push(pt);
        points.set(p.sender, list);
      }
    }
  }
  const out: BouncerUsage[] = [];
  for (const bouncer of [...points.keys()].sort()) {
    const list = points.get(bouncer)!.sort((a, b) => a.at - b.at);
    const series = new Map<string, BouncerSeries & { at: number }>();
    // gauge items that differ only in a dropped label are summed within their window, then the latest window wins
    for (const pt of list) {
      const gauge = isGaugeName(pt.name);
      const k = keyOf(pt);
      const cur = series.get(k);
      if (!cur) series.set(k, { ...pt, gauge });
      else if (!gauge) cur.value += pt.value;
      else if (pt.at > cur.at) Object.assign(cur, { at: pt.at, value: pt.value });
      else cur.value += pt.value;
    }
    out.push({
      bouncer,
      type: latestType.get(bouncer)?.type ?? '',
      since: list[0]!.at,
      series: [...series.values()]
        .map(({ at: _at, ...s }) => s)
        .sort(
          (a, b) =>
            cmp(a.name, b.name) ||
            cmp(a.unit, b.unit) ||
            cmp(a.origin, b.origin) ||
            cmp(a.remediation, b.remediation) ||
            cmp(a.ipType, b.ipType),
        ),
    });
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** cscli's acquisition row (machines inspect): `datasource_type:source (acquis_type)`. */
export interface AcquisitionUsage {
  source: string;
  read: number;
  parsed: number;
  unparsed: number;
}

/** cscli's parser row; `source` is `Postoverflows` for items with no acquisition labels. */
export interface ParserUsage {
  source: string;
  parser: string;
  stage: string;
  parsed: number;
  unparsed: number;
}

const ACQUISITION_COLUMNS: Record<string, keyof Omit<AcquisitionUsage, 'source'>> = {
  read: 'read',
  global_parsed: 'parsed',
  global_unparsed: 'unparsed',
};

/**
 * An agent's acquisition rows, as climachine/inspect.go's processAcquisitionMetrics: `read`, `global_parsed`
 * and `global_unparsed` items (deltas, so summed) that carry the three acquisition labels, by source, sorted.
 */
export function aggregateAcquisition(pushes: readonly UsageWindowsOf[]): AcquisitionUsage[] {
  const rows = new Map<string, AcquisitionUsage>();
  for (const p of pushes)
    for (const w of p.metrics)
      for (const it of w.items) {
        const col = Object.hasOwn(ACQUISITION_COLUMNS, it.name) ? ACQUISITION_COLUMNS[it.name] : undefined;
        const l = it.labels;
        if (!col || !l || l.datasource_type === undefined || l.source === undefined || l.acquis_type === undefined) continue;
        const source = `${l.datasource_type}:${l.source} (${l.acquis_type})`;
        const row = rows.get(source) ?? { source, read: 0, parsed: 0, unparsed: 0 };
        row[col] += Math.trunc(it.value);
        rows.set(source, row);
      }
  return [...rows.values()].sort((a, b) => cmp(a.source, b.source));
}

/**
 * An agent's parser rows, as processParserMetrics: `parsed`/`unparsed` items by source and parser name;
 * sources sorted with `Postoverflows` last, parsers by stage then name.
 */
export function aggregateParsers(pushes: readonly UsageWindowsOf[]): ParserUsage[] {
  const rows = new Map<string, ParserUsage>();
  for (const p of pushes)
    for (const w of p.metrics)
      for (const it of w.items) {
        if ((it.name !== 'parsed' && it.name !== 'unparsed') || !it.labels) continue;
        const l = it.labels;
        const noSource = !l.datasource_type && !l.source && !l.acquis_type;
        const source = noSource ? 'Postoverflows' : `${l.datasource_type ?? ''}:${l.source ?? ''} (${l.acquis_type ?? ''})`;
        const parser = l.parser_name ?? '';
        const k = JSON.stringify([source, parser]);
        // as upstream, a parser keeps the stage it was first seen with
        const row = rows.get(k) ?? { source, parser, stage: l.parser_stage ?? '', parsed: 0, unparsed: 0 };
        row[it.name] += Math.trunc(it.value);
        rows.set(k, row);
      }
  const post = (s: string) => (s === 'Postoverflows' ? 1 : 0);
  return [...rows.values()].sort(
    (a, b) => post(a.source) - post(b.source) || cmp(a.source, b.source) || cmp(a.stage, b.stage) || cmp(a.parser, b.parser),
  );
}

/** cscli's formatNumber (climetrics/number.go): `1.23k`, `4.56M`… with units; the plain integer without. */
export function formatUsageNumber(n: number, withUnit = true): string {
  const num = Math.trunc(n);
  if (!withUnit) return String(num);
  const units: [number, string][] = [
    [1e18, 'E'],
    [1e15, 'P'],
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [value, symbol] of units) {
    if (num >= value) return `${(Math.round((num / value) * 100) / 100).toFixed(2)}${symbol}`;
  }
  return String(num);
}

/** cscli's column and row labels for bouncer metrics: `_gauge` dropped, plural units, origins explained. */
export function usageColumnName(name: string): string {
  return name.endsWith('_gauge') ? name.slice(0, -'_gauge'.length) : name;
}

const PLURALS: Record<string, string> = { byte: 'bytes', packet: 'packets', ip: 'IPs' };

export function usageUnitName(unit: string): string {
  return Object.hasOwn(PLURALS, unit) ? PLURALS[unit]! : unit;
}

export function usageOriginName(origin: string): string {
  switch (origin) {
    case 'CAPI':
      return 'CAPI (community blocklist)';
    case 'cscli':
      return 'cscli (manual decisions)';
    case 'crowdsec':
      return 'crowdsec (security engine)';
    default:
      return origin;
  }
}
