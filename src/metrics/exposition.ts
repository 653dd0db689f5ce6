/**
 * A reader for the Prometheus text exposition format (version 0.0.4), as `lapis metrics` needs it: the
 * samples of counters, gauges and untyped metrics, with their labels (cscli reads the same through
 * prometheus/common's expfmt). Histogram and summary lines are returned as samples of their own names
 * (`…_bucket`, `…_sum`, `…_count`); the caller picks what it knows. Written here rather than taken from npm: the
 * one package that does it (parse-prometheus-text-format) has had no release since 2018, and the grammar is small.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** `# TYPE` lines: family name → counter, gauge, histogram, summary, untyped. */
  types: Map<string, string>;
}

/** A line that is not the text format; the message names the line. */
export class ExpositionError extends Error {
  override name = 'ExpositionError';
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(s: string): number {
  switch (s) {
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    case 'NaN':
      return Number.NaN;
  }
  // Number('') is 0 and Number('0x1') is 1: neither is a Prometheus float
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw new Error(`bad value "${s}"`);
  return Number(s);
}

/** `{a="x",b="y"}` from `i` (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, start: number): [Record<string, string>, number] {
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  let i = start + 1;
  for (;;) {
    while (line[i] === ' ') i++;
    if (line[i] === '}') return [labels, i + 1];
    const name = LABEL_NAME.exec(line.slice(i))?.[0];
    if (!name) throw new Error('bad label name');
    i += name.length;
    while (line[i] === ' ') i++;
    if (line[i] !== '=') throw new Error(`bad label ${name}`);
    i++;
    while (line[i] === ' ') i++;
    if (line[i] !== '"') throw new Error(`bad label ${name}`);
    i++;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) throw new Error(`unterminated value of label ${name}`);
      i++;
      if (c === '"') break;
      if (c === '\\') {
        const e = line[i++];
        value += e === 'n' ? '\n' : e === '\\' ? '\\' : e === '"' ? '"' : `\\${e ?? ''}`;
      } else value += c;
    }
    labels[name] = value;
    while (line[i] === ' ') i++;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') throw new Error(`expected , or } after label ${name}`);
  }
}

/** Parses a whole exposition. Throws ExpositionError `line N: why` on a line that does not parse. */
export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const lines = text.split('\n');
  for (const [n, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    try {
      if (line.startsWith('#')) {
        const m = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
        if (m) types.set(m[1]!, m[2]!);
        continue;
      }
      const name = NAME.exec(line)?.[0];
      if (!name) throw new Error('no metric name');
      let i = name.length;
      // expfmt allows blanks between the name and its labels
      while (line[i] === ' ' || line[i] === '\t') i++;
      let labels: Record<string, string> = {};
      if (line[i] === '{') [labels, i] = parseLabels(line, i);
      const rest = line.slice(i).trim().split(/\s+/);
      if (rest.length < 1 || rest.length > 2 || rest[0] === '') throw new Error('expected a value and an optional timestamp');
      samples.push({ name, labels: { ...labels }, value: parseValue(rest[0]!) });
    } catch (err) {
      throw new ExpositionError(`line ${n + 1}: ${(err as Error).message}`);
    }
  }
  return { samples, types };
}
