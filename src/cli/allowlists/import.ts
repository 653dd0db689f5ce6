import { parseItemValue } from '../../domain/allowlist.js';
import { DurationError, parseDuration } from '../../domain/duration.js';
import { addItemsAndApply } from '../../usecases/allowlists.js';
import { withField } from '../../errors.js';
import type { Db } from '../../store/db.js';
import { stringFlag, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { parseImport, readInput } from '../input.js';
import { CLI_ACTOR, requireListByName } from './common.js';

export interface ImportResult {
  added: number;
  skipped: string[];
  expired: number;
}

/**
 * `lapis allowlists import`: a CSV with a header, columns `value` (required), `expiration` (a duration, days
 * allowed; empty or 0: never) and `comment`, as cscli's. Every row is checked before anything is added; then
 * the values are added as `add` does (duplicates skipped, covered decisions ended when the list applies everywhere).
 */
export async function allowlistsImport(db: Db, name: string, csv: string, now = Date.now()): Promise<ImportResult> {
  const list = await requireListByName(db, name);
  const rows = parseImport(csv, 'csv');
  if (rows.length === 0) throw new CliError('no values to import');
  // rows sharing an expiration and a comment go in together
  const groups = new Map<string, { expiresAt: number | null; comment: string; values: string[] }>();
  rows.forEach((r, i) => {
    const n = i + 1;
    const value = r.value;
    if (!value) throw new CliError(`row ${n}: missing 'value'`);
    withField(`row ${n}`, () => parseItemValue(value));
    let ms = 0;
    if (r.expiration) {
      try {
        ms = parseDuration(r.expiration);
      } catch (err) {
        if (err instanceof DurationError) throw new CliError(`row ${n}: invalid expiration "${r.expiration}"`);
        throw err;
      }
      if (ms < 0) throw new CliError(`row ${n}: invalid expiration "${r.expiration}"`);
    }
    // whole milliseconds: a Go duration can carry a fraction the time columns cannot
    const expiresAt = ms === 0 ? null : Math.round(now + ms);
    const comment = r.comment ?? '';
    const key = `${expiresAt}\u0000${comment}`;
    const g = groups.get(key);
    if (g) g.values.push(value);
    else groups.set(key, { expiresAt, comment, values: [value] });
  });
  const out: ImportResult = { added: 0, skipped: [], expired: 0 };
  for (const g of groups.values()) {
    const r = await addItemsAndApply(
      { db },
      list.id,
      { values: g.values, description: g.comment, expiresAt: g.expiresAt, actor: CLI_ACTOR },
      now,
    );
    out.added += r.added.length;
    out.skipped.push(...r.skipped);
    out.expired += r.expired;
  }
  return out;
}

export const importCommand: LeafCommand = {
  name: 'import',
  usage: 'NAME',
  summary: 'Import values to an allowlist from a CSV file',
  description:
    'Import values to an allowlist from a CSV file with a header: value (required), expiration (a duration such as 7d; empty: never), comment.',
  examples: ['lapis allowlists import my_allowlist -i values.csv', 'cat values.csv | lapis allowlists import my_allowlist -i -'],
  flags: {
    input: { type: 'string', short: 'i', description: 'Input file (- for stdin)' },
  },
  args: { min: 1, max: 1 },
  async run(ctx, [name], flags) {
    const input = stringFlag(flags, 'input');
    if (!input) throw new CliError('required flag(s) "input" not set');
    const csv = readInput(input);
    const r = await withDb(ctx, (db) => allowlistsImport(db, name!, csv));
    for (const v of r.skipped) ctx.out.warn(`value ${v} already in allowlist`);
    ctx.out.line(r.added > 0 ? `added ${r.added} values to allowlist ${name}` : 'no new values for allowlist');
    if (r.expired > 0) ctx.out.line(`${r.expired} decisions deleted by allowlists`);
  },
};
