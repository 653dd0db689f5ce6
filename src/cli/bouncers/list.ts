import { listBouncers, type Bouncer } from '../../store/bouncers.js';
import type { Db } from '../../store/db.js';
import type { Printer } from '../output.js';
import { BOUNCER_CSV_HEADER, bouncerCsvRow, bouncerInfo, printBouncerTable } from './format.js';
import { readVerb } from '../read-verb.js';

/** Every bouncer, oldest first. */
export async function bouncersList(db: Db): Promise<Bouncer[]> {
  return listBouncers(db);
}

export function printBouncers(out: Printer, bouncers: readonly Bouncer[]): void {
  switch (out.format) {
    case 'human':
      return printBouncerTable(out, bouncers);
    case 'json':
      return out.json(bouncers.map(bouncerInfo));
    case 'raw':
      return out.csv(BOUNCER_CSV_HEADER, bouncers.map(bouncerCsvRow));
  }
}

export const listCommand = readVerb(
  { name: 'list', summary: 'list all bouncers within the database', examples: ['lapis bouncers list'], args: { min: 0, max: 0 } },
  (db) => bouncersList(db),
  printBouncers,
);
