import { CsvError, parse } from 'csv-parse/sync';
import { CliError } from './context.js';

/**
 * A CSV file with a header row, read as cscli reads its imports (Go's encoding/csv): quoted fields may hold
 * commas, line breaks and doubled quotes (`"say ""hi"""`), lines end in LF or CRLF, blank lines are skipped.
 * Lapis keeps two leniencies of its own: spaces around fields and header names are trimmed, and a row with
 * fewer or more fields than the header is read as far as it goes (Go refuses it: `wrong number of fields`).
 * A malformed record throws CliError `unable to parse csv: parse error on line N: …` with Go's wording.
 */
export function parseCsvRecords(text: string): Record<string, string>[] {
  // where the last good record ended, to name the line an unterminated quoted field starts on
  let lastEnd = 1;
  try {
    return parse(text, {
      bom: true,
      columns: (header: string[]) => header.map((h) => h.trim()),
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
      on_record: (record: Record<string, string>, ctx: { lines: number }) => {
        lastEnd = ctx.lines;
        return record;
      },
    }) as Record<string, string>[];
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    throw new CliError(`unable to parse csv: ${describe(err, text, lastEnd)}`);
  }
}

function describe(err: CsvError, text: string, lastEnd: number): string {
  const line = err.lines as number;
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      // csv-parse reports the end of the input; the record that opened the quote is the useful line
      return `parse error on line ${recordStart(text, lastEnd)}: extraneous or missing " in quoted-field`;
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return `parse error on line ${line}: extraneous or missing " in quoted-field`;
    case 'INVALID_OPENING_QUOTE':
      return `parse error on line ${line}: bare " in non-quoted-field`;
    default:
      return err.message;
  }
}

/** The first non-blank line after line `lastEnd` (1-based). */
function recordStart(text: string, lastEnd: number): number {
  const lines = text.split(/\r\n|\n|\r/);
  let n = lastEnd + 1;
  while (n <= lines.length && lines[n - 1]!.trim() === '') n++;
  return n;
}
