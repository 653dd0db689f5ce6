import { isGarbage, parseFeedText, type FeedText } from '../../domain/feed-text.js';
import { parseIpOrRange } from '../../domain/ip-range.js';
import { addBlocklistItems, replaceBlocklistItems } from '../../usecases/blocklists.js';
import type { Db } from '../../store/db.js';
import { boolFlag, stringFlag, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { readInput } from '../input.js';
import type { Printer } from '../output.js';
import { progressBar } from '../progress.js';
import { EXPIRATION_FLAG, expirationFlag, inBatches, requireBlocklistByName } from './common.js';

export interface BlocklistsImportOptions {
  /** The list's content becomes exactly the file's values (one transaction), rather than being added to. */
  replace?: boolean;
  expiresAt?: number | null;
  /** Called after each batch with the values sent so far and the total. */
  progress?: (done: number, total: number) => void;
}

export interface BlocklistsImportResult {
  /** Valid values read (each once). */
  values: number;
  added: number;
  updated: number;
  /** Items that went (with `replace` only). */
  removed: number;
  /** Lines that hold neither an IP nor a CIDR. */
  invalid: FeedText['invalid'];
}

/** The first invalid line, for a one-line error. */
function sample(t: FeedText): string {
  const first = t.invalid[0];
  return first ? `, first at line ${first.line}: '${first.text}'` : '';
}

/**
 * `lapis blocklists import`: one IP or CIDR per line, `#`/`;` comments and blank lines skipped (the feed
 * format: domain/feed-text.ts); invalid lines are reported and the rest imported, in transactions of 20,000
 * (a value already there takes the new expiration). With `replace`, the content becomes exactly the file's,
 * in one transaction, and a file that is mostly not IPs is refused. No valid value at all is CliError.
 */
export async function blocklistsImport(
  db: Db,
  name: string,
  text: string,
  o: BlocklistsImportOptions = {},
  now = Date.now(),
): Promise<BlocklistsImportResult> {
  const list = await requireBlocklistByName(db, name);
  const parsed = parseFeedText(text);
  if (parsed.values.length === 0) {
    throw new CliError(`no valid IP or CIDR to import (${parsed.invalid.length} invalid lines${sample(parsed)})`);
  }
  if (o.replace && isGarbage(parsed)) {
    throw new CliError(
      `refusing to replace the content of blocklist '${name}': ${parsed.invalid.length} of ${parsed.lines} lines invalid${sample(parsed)}`,
    );
  }
  const ranges = parsed.values.map((v) => parseIpOrRange(v));
  const expiresAt = o.expiresAt ?? null;
  const out: BlocklistsImportResult = { values: ranges.length, added: 0, updated: 0, removed: 0, invalid: parsed.invalid };
  if (o.replace) {
    const r = await replaceBlocklistItems({ db }, list.id, ranges, expiresAt, now);
    return { ...out, added: r.added, updated: r.updated, removed: r.removed };
  }
  await inBatches(
    ranges,
    async (batch) => {
      const r = await addBlocklistItems({ db }, list.id, batch, expiresAt, now);
      out.added += r.added;
      out.updated += r.updated;
    },
    (done) => o.progress?.(done, ranges.length),
  );
  return out;
}

/** Invalid lines reported one by one, up to this many: a wrong file should not flood the terminal. */
const MAX_REPORTED = 100;

export function printImported(out: Printer, name: string, r: BlocklistsImportResult, replace: boolean): void {
  for (const i of r.invalid.slice(0, MAX_REPORTED)) out.error(`line ${i.line}: invalid IP or CIDR '${i.text}'`);
  if (r.invalid.length > MAX_REPORTED) out.error(`... and ${r.invalid.length - MAX_REPORTED} more invalid lines`);
  if (out.format === 'json') {
    return out.json({
      blocklist: name,
      values: r.values,
      added: r.added,
      updated: r.updated,
      ...(replace ? { removed: r.removed } : {}),
      invalid: r.invalid.length,
    });
  }
  const removed = replace ? `, ${r.removed} removed` : '';
  out.line(
    `Imported ${r.values} values (${r.added} added, ${r.updated} updated${removed}, ${r.invalid.length} invalid) into blocklist '${name}'`,
  );
}

export const importCommand: LeafCommand = {
  name: 'import',
  usage: 'NAME',
  summary: 'Import IPs and CIDR ranges into a blocklist from a file',
  description:
    "Import a plain-text list into a blocklist: one IP or CIDR per line; blank lines and # or ; comments are skipped (FireHOL and Spamhaus files work as they are). Invalid lines are reported and skipped.\nValues are added in batches of 20,000 (each its own transaction); with --replace the list's content becomes exactly the file's, in one transaction.",
  examples: [
    'lapis blocklists import scanners -i scanners.txt -e 30d',
    'curl -s https://www.spamhaus.org/drop/drop.txt | lapis blocklists import spamhaus -i - --replace',
  ],
  flags: {
    input: { type: 'string', short: 'i', description: 'Input file (- for stdin)' },
    replace: { type: 'boolean', description: "replace the list's content with the file's (values not in the file are removed)" },
    expiration: EXPIRATION_FLAG,
  },
  args: { min: 1, max: 1 },
  async run(ctx, [name], flags) {
    const input = stringFlag(flags, 'input');
    if (!input) throw new CliError('required flag(s) "input" not set');
    const now = Date.now();
    const expiresAt = expirationFlag(flags, now);
    const text = readInput(input);
    const replace = boolFlag(flags, 'replace');
    let bar: ReturnType<typeof progressBar> | undefined;
    const progress = (done: number, total: number) => {
      bar ??= progressBar(ctx.io.stderr, `importing into ${name}`, total);
      bar.update(done);
    };
    try {
      const r = await withDb(ctx, (db) => blocklistsImport(db, name!, text, { replace, expiresAt, progress }, now));
      bar?.done();
      printImported(ctx.out, name!, r, replace);
    } finally {
      bar?.done();
    }
  },
};
