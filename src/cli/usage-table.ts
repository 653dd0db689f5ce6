import {
  formatUsageNumber,
  usageColumnName,
  usageOriginName,
  usageUnitName,
  type AcquisitionUsage,
  type BouncerUsage,
  type ParserUsage,
} from '../domain/usage-metrics.js';
import { goTimeString } from '../go-format.js';
import type { Printer } from './output.js';

/**
 * One bouncer's usage table, shaped like cscli's `metrics show bouncers` (statbouncer.go): a row per origin,
 * a column per metric and unit (`dropped (bytes)`: cscli's two header lines in one), ip types summed, `-`
 * where an origin has no value, and a Total row that also counts what came without an origin (`processed`).
 * Lapis adds a Remediation column when the bouncer sent that label (nodejs-bouncer's dropped per ban/captcha).
 */
export function printBouncerUsage(out: Printer, u: BouncerUsage, withUnit = true): void {
  // as cscli: columns by metric name, then unit
  const columns = [...new Set(u.series.map((s) => JSON.stringify([s.name, s.unit])))].sort().map((c) => JSON.parse(c) as [string, string]);
  if (columns.length === 0) return;
  const byRemediation = u.series.some((s) => s.remediation !== '');
  const rowKey = (s: { origin: string; remediation: string }) => JSON.stringify(byRemediation ? [s.origin, s.remediation] : [s.origin]);
  const cells = new Map<string, Map<string, number>>();
  const totals = new Map<string, number>();
  for (const s of u.series) {
    const col = JSON.stringify([s.name, s.unit]);
    totals.set(col, (totals.get(col) ?? 0) + s.value);
    if (s.origin === '') continue;
    const row = cells.get(rowKey(s)) ?? new Map<string, number>();
    row.set(col, (row.get(col) ?? 0) + s.value);
    cells.set(rowKey(s), row);
  }
  const value = (m: Map<string, number>, c: [string, string]) => {
    const v = m.get(JSON.stringify(c));
    return v === undefined ? '-' : formatUsageNumber(v, withUnit);
  };
  const header = [
    'Origin',
    ...(byRemediation ? ['Remediation'] : []),
    ...columns.map(([n, unit]) => `${usageColumnName(n)} (${usageUnitName(unit)})`),
  ];
  const rows = [...cells.keys()].sort().map((k) => {
    const [origin, remediation] = JSON.parse(k) as [string, string?];
    const row = cells.get(k)!;
    return [usageOriginName(origin), ...(byRemediation ? [remediation ?? ''] : []), ...columns.map((c) => value(row, c))];
  });
  rows.push(['Total', ...(byRemediation ? [''] : []), ...columns.map((c) => value(totals, c))]);
  out.table(header, rows, `Bouncer Metrics (${u.bouncer}) since ${goTimeString(u.since * 1000)}`);
}

/** cscli's `bouncers` section of `metrics -o json`: bouncer → origin → metric → unit → value (remediation and ip types summed). */
export function bouncerUsageJson(usages: readonly BouncerUsage[]): Record<string, Record<string, Record<string, Record<string, number>>>> {
  const out: Record<string, Record<string, Record<string, Record<string, number>>>> = {};
  for (const u of usages) {
    const b: Record<string, Record<string, Record<string, number>>> = {};
    for (const s of u.series) {
      const byName = (b[s.origin] ??= {});
      const byUnit = (byName[s.name] ??= {});
      byUnit[s.unit] = (byUnit[s.unit] ?? 0) + Math.trunc(s.value);
    }
    out[u.bouncer] = b;
  }
  return out;
}

/** `machines inspect`'s two tables (climachine/inspect.go), each left out when empty. */
export function printAgentUsage(out: Printer, acquisition: readonly AcquisitionUsage[], parsers: readonly ParserUsage[]): void {
  if (acquisition.length > 0)
    out.table(
      ['Source', 'Read', 'Parsed', 'Unparsed'],
      acquisition.map((a) => [a.source, String(a.read), String(a.parsed), String(a.unparsed)]),
      'Acquisition Metrics',
    );
  if (parsers.length > 0)
    out.table(
      ['Source', 'Parser', 'Parsed', 'Unparsed'],
      parsers.map((p) => [p.source, `${p.stage}/${p.parser}`, String(p.parsed), String(p.unparsed)]),
      'Parser Metrics',
    );
}
