// The input of the `import` verbs (`lapis decisions import`, `lapis allowlists import`): a file or stdin,
// read as json, csv or one value per line.
import { readFileSync } from 'node:fs';
import { CliError } from './context.js';
import { parseCsvRecords } from './csv.js';

/** One imported record: field name → text (a csv row by its header, a json object, or `{ value }`). */
export type ImportRecord = Record<string, string | undefined>;

/** The text of `-i FILE` (`-` is stdin), or CliError `open FILE: no such file or directory`. */
export function readInput(input: string): string {
  try {
    return readFileSync(input === '-' ? 0 : input, 'utf8');
  } catch (err) {
    throw new CliError(
      `open ${input}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`,
    );
  }
}

/** Parses the input as json (array of records), csv (with a header) or values (one per line). */
export function parseImport(text: string, format: string): ImportRecord[] {
  switch (format) {
    case 'json': {
      let rows: unknown;
      try {
        rows = JSON.parse(text);
      } catch (err) {
        throw new CliError(`unable to parse json: ${(err as Error).message}`);
      }
      if (!Array.isArray(rows)) throw new CliError('unable to parse json: expected an array of decisions');
      return rows as ImportRecord[];
    }
    case 'csv':
      return parseCsvRecords(text) as ImportRecord[];
    case 'values':
      return text
        .split(/\r?\n/)
        .map((v) => v.trim())
        .filter((v) => v !== '')
        .map((value) => ({ value }));
    default:
      throw new CliError(`invalid format '${format}', expected one of 'json', 'csv', 'values'`);
  }
}
