import type { NewDecision } from '../../domain/alert.js';
import { parseDuration } from '../../domain/duration.js';
import { parseIpOrRange } from '../../domain/ip-range.js';
import { isIpScope, normalizeScope } from '../../domain/scope.js';
import { withField } from '../../errors.js';
import { insertAlerts } from '../../store/alerts.js';
import type { Db } from '../../store/db.js';
import { boolFlag, stringFlag, type LeafCommand } from '../args.js';
import { allowlistChecker } from '../allowlists/common.js';
import { CliError, withDb } from '../context.js';
import { parseImport, readInput } from '../input.js';
import { manualAlert } from './common.js';

interface Row {
  value?: string;
  duration?: string;
  reason?: string;
  scope?: string;
  type?: string;
}

export interface ImportDefaults {
  duration: string;
  scope: string;
  reason: string;
  type: string;
  /** Decisions per alert; each batch is one transaction. */
  batch: number;
  input: string;
  /** Import Ip/Range values even when an allowlist that applies somewhere covers them. */
  bypassAllowlist?: boolean | undefined;
  /** Told of each value skipped because it is allowlisted, with the reasons (`<item> from <list>`). */
  allowlisted?: ((value: string, reasons: string[]) => void) | undefined;
}

/**
 * `lapis decisions import`: validates every record first (nothing is stored if one is bad), skips
 * duplicate values, skips the Ip/Range values an allowlist with at least one subscriber covers (unless
 * `bypassAllowlist`), then stores one alert per batch. Returns the number imported.
 */
export async function decisionsImport(
  db: Db,
  rows: Row[],
  d: ImportDefaults,
  progress?: (done: number, total: number) => void,
  now = Date.now(),
): Promise<number> {
  const seen = new Set<string>();
  const decisions: NewDecision[] = [];
  for (const [i, r] of rows.entries()) {
    const value = r.value;
    if (!value) throw new CliError(`item ${i + 1}: missing 'value'`);
    const scope = normalizeScope(r.scope || d.scope);
    const type = r.type || d.type;
    const key = `${scope}|${value}|${type}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const item = `item ${i + 1}`;
    const ms = withField(item, () => parseDuration(r.duration || d.duration));
    if (ms <= 0) throw new CliError(`${item}: the duration must be positive`);
    const range = isIpScope(scope) ? withField(item, () => parseIpOrRange(value)) : null;
    decisions.push({
      type,
      scope,
      value,
      origin: 'cscli-import',
      scenario: r.reason || d.reason,
      until: Math.round(now + ms),
      simulated: false,
      range,
    });
  }
  if (decisions.length === 0) throw new CliError('no decisions found');
  const kept = d.bypassAllowlist ? decisions : await withoutAllowlisted(db, decisions, d.allowlisted, now);
  for (let i = 0; i < kept.length; i += d.batch) {
    const batch = kept.slice(i, i + d.batch);
    const scenario = `import ${d.input}: ${batch.length} IPs`;
    await insertAlerts(
      db,
      [{ ...manualAlert(scenario, '', { scope: '', value: '' }, batch, now, batch.length), leakspeed: '' }],
      null,
      now,
    );
    progress?.(i + batch.length, kept.length);
  }
  return kept.length;
}

async function withoutAllowlisted(
  db: Db,
  decisions: NewDecision[],
  report: ImportDefaults['allowlisted'],
  now: number,
): Promise<NewDecision[]> {
  const reasonsOf = await allowlistChecker(db, now);
  return decisions.filter((dec) => {
    const reasons = dec.range ? reasonsOf(dec.range) : [];
    if (reasons.length > 0) report?.(dec.value, reasons);
    return reasons.length === 0;
  });
}

export const importCommand: LeafCommand = {
  name: 'import',
  summary: 'Import decisions from a file or pipe',
  examples: [
    'lapis decisions import -i decisions.csv',
    'lapis decisions import -i decisions.json',
    'cat ips.txt | lapis decisions import -i - --format values --duration 12h',
  ],
  flags: {
    input: { type: 'string', short: 'i', description: 'Input file (- for stdin)' },
    duration: { type: 'string', short: 'd', description: 'Decision duration: 1h,4h,30m', defaultText: '4h' },
    scope: { type: 'string', description: 'Decision scope: ip,range,username', defaultText: 'Ip' },
    reason: { type: 'string', short: 'R', description: 'Decision reason', defaultText: 'manual' },
    type: { type: 'string', short: 't', description: 'Decision type: ban,captcha,throttle', defaultText: 'ban' },
    batch: { type: 'string', description: 'Split import in batches of N decisions (0 = 1,000)', defaultText: '0' },
    format: { type: 'string', description: 'Input format: json, csv or values' },
    'bypass-allowlist': { type: 'boolean', short: 'B', description: 'Import decisions even if their values are in an allowlist' },
  },
  args: { min: 0, max: 0 },
  async run(ctx, _args, flags) {
    const input = stringFlag(flags, 'input');
    if (!input) throw new CliError('required flag(s) "input" not set');
    const format = stringFlag(flags, 'format') ?? (input.endsWith('.json') ? 'json' : input.endsWith('.csv') ? 'csv' : undefined);
    if (!format) throw new CliError('unable to guess format from file extension, please provide a format with --format flag');
    const text = readInput(input);
    ctx.out.line(`Parsing ${format}`);
    const rows = parseImport(text, format);
    if (rows.length > 1000) ctx.out.line(`You are about to add ${rows.length} decisions, this may take a while`);
    const batchText = stringFlag(flags, 'batch') ?? '0';
    if (!/^\d+$/.test(batchText)) throw new CliError(`invalid argument "${batchText}" for "--batch" flag: not a number`);
    // one alert (one transaction) per batch; its decisions go in 1,000 per INSERT (store/decisions.ts)
    const batch = Number(batchText) || 1000;
    const tty = process.stderr.isTTY === true;
    const progress = tty
      ? (done: number, total: number) => process.stderr.write(`\rimported ${done}/${total}${done === total ? '\n' : ''}`)
      : undefined;
    const n = await withDb(ctx, (db) =>
      decisionsImport(
        db,
        rows,
        {
          duration: stringFlag(flags, 'duration') ?? '4h',
          scope: stringFlag(flags, 'scope') ?? 'Ip',
          reason: stringFlag(flags, 'reason') ?? 'manual',
          type: stringFlag(flags, 'type') ?? 'ban',
          batch,
          input: input === '-' ? 'stdin' : input,
          bypassAllowlist: boolFlag(flags, 'bypass-allowlist'),
          // as cscli: Go prints the reasons as a list, `[a b]`
          allowlisted: (value, reasons) => ctx.out.line(`Value ${value} is allowlisted by [${reasons.join(' ')}]`),
        },
        progress,
      ),
    );
    ctx.out.out(`Imported ${n} decisions`);
  },
};
