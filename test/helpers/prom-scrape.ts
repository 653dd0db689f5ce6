/**
 * A Prometheus text exposition read back into families, and a check that a PromQL expression only uses
 * metric names and labels a scrape has: what a Grafana board needs from an exporter.
 */

export interface Series {
  name: string;
  labels: Record<string, string>;
}

export interface Family {
  type: string;
  help: string;
  series: Series[];
}

/** Families by name; a histogram's `_bucket`, `_sum` and `_count` series belong to it. */
export type Scrape = Map<string, Family>;

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseScrape(text: string): Scrape {
  const out: Scrape = new Map();
  for (const line of text.split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const f = out.get(meta[2]!) ?? { type: '', help: '', series: [] };
      if (meta[1] === 'HELP') f.help = meta[3]!;
      else f.type = meta[3]!;
      out.set(meta[2]!, f);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
    const name = m[1]!;
    const family = out.get(name) ?? out.get(name.replace(/_(bucket|sum|count)$/, ''));
    if (!family) throw new Error(`sample before its family: ${line}`);
    family.series.push({ name, labels });
  }
  return out;
}

/** Every series with this exact name (`x_bucket` included), from whichever family holds it. */
export function seriesNamed(scrape: Scrape, name: string): Series[] {
  const out: Series[] = [];
  for (const f of scrape.values()) for (const s of f.series) if (s.name === name) out.push(s);
  return out;
}

interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Selector {
  metric: string;
  matchers: Matcher[];
}

/** What one expression uses: its selectors, and the labels it groups by or a legend shows. */
export interface ExprUse {
  selectors: Selector[];
  labels: string[];
}

const NOT_METRICS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/**
 * The selectors and grouping labels of a PromQL expression (enough of PromQL for dashboards: selectors,
 * functions, aggregations with `by`/`without`, ranges), plus the labels of its legend's `{{label}}`.
 * Grafana's `label_values(metric, label)` variable queries are read as a selector and a label.
 */
export function exprUse(expr: string, legend = ''): ExprUse {
  const labels: string[] = [...legend.matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)].map((m) => m[1]!);
  const lv = /^label_values\(\s*([^,]+?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/.exec(expr.trim());
  if (lv) return { selectors: exprUse(lv[1]!).selectors, labels: [...labels, lv[2]!] };
  let rest = expr
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, _kw, list: string) => {
      labels.push(
        ...list
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      );
      return ' ';
    });
  const selectors: Selector[] = [];
  rest = rest.replace(/([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g, (_, metric: string | undefined, body: string) => {
    if (!metric) throw new Error(`a selector without a metric name: ${expr}`);
    selectors.push({ metric, matchers: parseMatchers(body, expr) });
    return ' ';
  });
  for (const m of rest.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)) {
    const word = m[1]!;
    if (m[2] || NOT_METRICS.has(word.toLowerCase()) || /^\d/.test(word)) continue;
    selectors.push({ metric: word, matchers: [] });
  }
  return { selectors, labels };
}

function parseMatchers(body: string, expr: string): Matcher[] {
  const out: Matcher[] = [];
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/gy;
  let at = 0;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    out.push({ label: m[1]!, op: m[2] as Matcher['op'], value: m[3]!.replace(/\\(.)/g, '$1') });
    at = re.lastIndex;
    if (at >= body.length) break;
  }
  if (body.trim() !== '' && at < body.length) throw new Error(`unreadable matchers {${body}} in ${expr}`);
  return out;
}

function matches(m: Matcher, value: string | undefined): boolean {
  const v = value ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return new RegExp(`^(?:${m.value})$`).test(v);
    case '!~':
      return !new RegExp(`^(?:${m.value})$`).test(v);
  }
}

/**
 * What a scrape lacks for one expression, as readable lines (empty: nothing). Each metric must be there; each
 * label a matcher, a `by (…)` or the legend names must be on its series, unless Prometheus itself attaches it to
 * every series of the target (`targetLabels`); and the matchers without a dashboard variable (`$x`) must select
 * at least one series, so that a panel filtering on a route shows the route Lapis actually names.
 */
export function missingFor(
  scrape: Scrape,
  expr: string,
  legend = '',
  targetLabels: readonly string[] = [],
  /** Families that may have no series yet (declared, nothing counted): their name is checked, not their labels. */
  mayBeEmpty: readonly string[] = [],
): string[] {
  const use = exprUse(expr, legend);
  const problems: string[] = [];
  const all: Series[] = [];
  for (const sel of use.selectors) {
    const series = seriesNamed(scrape, sel.metric);
    if (series.length === 0) {
      const family = scrape.get(sel.metric.replace(/_(bucket|sum|count)$/, '')) ?? scrape.get(sel.metric);
      if (!(family && mayBeEmpty.includes(sel.metric))) problems.push(`${sel.metric}: no such series`);
      continue;
    }
    all.push(...series);
    for (const m of sel.matchers) {
      if (targetLabels.includes(m.label)) continue;
      if (!series.some((s) => m.label in s.labels)) problems.push(`${sel.metric}: no label ${m.label}`);
    }
    const fixed = sel.matchers.filter((m) => !targetLabels.includes(m.label) && !m.value.includes('$'));
    if (fixed.length > 0 && !series.some((s) => fixed.every((m) => matches(m, s.labels[m.label])))) {
      problems.push(`${sel.metric}: no series matches {${fixed.map((m) => `${m.label}${m.op}"${m.value}"`).join(', ')}}`);
    }
  }
  for (const l of use.labels) {
    if (targetLabels.includes(l) || all.length === 0) continue;
    if (!all.some((s) => l in s.labels))
      problems.push(`label ${l} (grouping or legend) is on none of ${[...new Set(all.map((s) => s.name))].join(', ')}`);
  }
  return problems;
}
