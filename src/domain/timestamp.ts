/**
 * ISO 8601 date-times as the admin API takes and gives them. A time without a zone is UTC (as the
 * console reads `2025-03-27T16:45:53`); a date alone is its midnight UTC.
 */

import { InvalidValueError } from '../errors.js';

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

export class TimestampError extends InvalidValueError {
  override name = 'TimestampError';
}

/** Epoch milliseconds, or TimestampError naming the text. Impossible dates (Feb 30) are refused. */
export function parseTimestamp(text: string): number {
  const m = ISO.exec(text.trim());
  const bad = () => new TimestampError(`invalid date-time '${text}': expected ISO 8601, such as 2030-01-31T12:00:00Z`);
  if (!m) throw bad();
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const back = new Date(utc);
  const same =
    back.getUTCFullYear() === Number(y) &&
    back.getUTCMonth() === Number(mo) - 1 &&
    back.getUTCDate() === Number(d) &&
    back.getUTCHours() === Number(h) &&
    back.getUTCMinutes() === Number(mi) &&
    back.getUTCSeconds() === Number(s);
  if (!same) throw bad();
  if (!zone || zone.toUpperCase() === 'Z') return utc;
  const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
  if (Number(z[2]) > 23 || Number(z[3]) > 59) throw bad();
  const offset = (Number(z[2]) * 60 + Number(z[3])) * 60_000;
  return z[1] === '+' ? utc - offset : utc + offset;
}
