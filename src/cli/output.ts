import { formatGoDuration } from '../domain/duration.js';
import { goJson } from '../go-format.js';

/**
 * Printing for the CLI, as cscli does it: command results on stdout (a human table, JSON or CSV), messages
 * on stderr. In json and raw modes cscli drops its logging to the error level, so `info` and `warn` are
 * silent there; `notice` is what cscli writes with a plain `fmt.Fprintf(os.Stderr)` and always shows.
 */

export const OUTPUT_FORMATS = ['human', 'json', 'raw'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function isOutputFormat(s: string): s is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(s);
}

export interface Sink {
  write(chunk: string): unknown;
}

export class Printer {
  constructor(
    readonly format: OutputFormat,
    private readonly stdout: Sink,
    private readonly stderr: Sink,
  ) {}

  /** A result, written as it is. */
  out(text: string): void {
    this.stdout.write(text);
  }

  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** As Go's json.Encoder with a two-space indent: HTML-escaped, one trailing newline. */
  json(value: unknown): void {
    this.stdout.write(`${goJson(value, 2)}\n`);
  }

  table(header: readonly string[] | null, rows: readonly (readonly string[])[], title?: string): void {
    this.stdout.write(formatTable(header, rows, title));
  }

  csv(header: readonly string[], rows: readonly (readonly string[])[]): void {
    this.stdout.write(formatCsv([header, ...rows]));
  }

  /** An info-level log line (dropped in json and raw). */
  info(msg: string): void {
    if (this.format === 'human') this.stderr.write(`${msg}\n`);
  }

  /** A warning-level log line (dropped in json and raw, as cscli's level is then `error`). */
  warn(msg: string): void {
    if (this.format === 'human') this.stderr.write(`${msg}\n`);
  }

  /** An error-level log line that does not fail the command. */
  error(msg: string): void {
    this.stderr.write(`${msg}\n`);
  }

  /** A message cscli prints on stderr whatever the output format. */
  notice(text: string): void {
    this.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}

/** Elapsed time truncated to the second, in Go's duration format (`12s`, `1h2m3s`). */
export function elapsedSeconds(fromMs: number, nowMs: number): string {
  return formatGoDuration(Math.trunc((nowMs - fromMs) / 1000) * 1000);
}

/** Go's csv.Writer: fields quoted when they hold a comma, a quote, CR/LF, or start with a space. */
export function formatCsv(records: readonly (readonly string[])[]): string {
  const field = (f: string) => {
    const needs = f !== '' && (f === '\\.' || /[,"\r\n]/.test(f) || f.startsWith(' ') || f.startsWith('\t'));
    return needs ? `"${f.replace(/"/g, '""')}"` : f;
  };
  return records.map((r) => `${r.map(field).join(',')}\n`).join('');
}

function isWide(cp: number): boolean {
  return (
    cp >= 0x1f000 ||
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6)
  );
}

/** Terminal columns a string takes: emoji and East Asian wide characters count two, joiners and selectors none. */
export function displayWidth(s: string): number {
  const cps = Array.from(s, (c) => c.codePointAt(0)!);
  let w = 0;
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i]!;
    if (cp === 0xfe0f || cp === 0x200d || (cp >= 0x300 && cp <= 0x36f)) continue;
    w += isWide(cp) || cps[i + 1] === 0xfe0f ? 2 : 1;
  }
  return w;
}

function pad(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)));
}

/**
 * A plain aligned table in the spirit of cscli's light tables: horizontal rules, two spaces between
 * columns, no vertical borders. `header` null gives a key/value table. Trailing spaces are trimmed.
 */
export function formatTable(header: readonly string[] | null, rows: readonly (readonly string[])[], title?: string): string {
  const all = header ? [header, ...rows] : [...rows];
  const cols = Math.max(0, ...all.map((r) => r.length));
  const widths = Array.from({ length: cols }, (_, c) => Math.max(0, ...all.map((r) => displayWidth(r[c] ?? ''))));
  const total = widths.reduce((a, b) => a + b, 0) + 2 * Math.max(0, cols - 1) + 2;
  const rule = '─'.repeat(total);
  const line = (r: readonly string[]) => ` ${widths.map((w, c) => pad(r[c] ?? '', w)).join('  ')}`.trimEnd();
  const out: string[] = [];
  if (title !== undefined) out.push(` ${title}`);
  out.push(rule);
  if (header) out.push(line(header), rule);
  for (const r of rows) out.push(line(r));
  out.push(rule);
  return `${out.join('\n')}\n`;
}
