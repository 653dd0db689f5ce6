/**
 * Go durations, as CrowdSec reads and writes them.
 * Input: Go's time.ParseDuration syntax plus an optional leading day count (`2d`, `1d12h`, `-1d2h`).
 * Output: Go's Duration.String() (`3h59m58s`, `59m0s`, `0s`, `-2m3s`, `500ms`).
 * Durations are carried as milliseconds (fractions allowed) since every stored time is in milliseconds.
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5
  'μs': 1e-3, // U+03BC
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

export class DurationError extends Error {
  override name = 'DurationError';
}

/** Go's time.ParseDuration, returning milliseconds. Throws DurationError with Go's message. */
export function parseGoDuration(input: string): number {
  const invalid = () => new DurationError(`time: invalid duration ${JSON.stringify(input)}`);
  let s = input;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0;
  while (s !== '') {
    const num = /^([0-9]*)(\.([0-9]*))?/.exec(s);
    const whole = num?.[1] ?? '';
    const frac = num?.[3] ?? '';
    if (whole === '' && frac === '') throw invalid();
    s = s.slice(num![0].length);
    const unit = /^[^0-9.]*/.exec(s)![0];
    if (unit === '') throw new DurationError(`time: missing unit in duration ${JSON.stringify(input)}`);
    const scale = UNIT_MS[unit];
    if (scale === undefined) {
      throw new DurationError(`time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(input)}`);
    }
    s = s.slice(unit.length);
    total += Number(`${whole || '0'}.${frac || '0'}`) * scale;
  }
  // Go's limit: about 292 years.
  if (total > 9_223_372_036_854) throw invalid();
  return sign * total;
}

/**
 * CrowdSec's ParseDuration: a Go duration with an optional leading `Nd` day count.
 * Throws DurationError with upstream's messages.
 */
export function parseDuration(input: string): number {
  if (input === '') throw new DurationError('empty duration string');
  const d = input.indexOf('d');
  if (d < 0) return parseGoDuration(input);
  const dayText = input.slice(0, d);
  const rest = input.slice(d + 1);
  if (!/^[-+]?[0-9]+$/.test(dayText) || rest.includes('d')) {
    throw new DurationError(`invalid day value in duration ${JSON.stringify(input)}`);
  }
  // As upstream: the day count becomes hours and Go parses the rest (`-1d2h` → `-24h2h`, minus 26 hours).
  const hours = Number(dayText) * 24;
  return parseGoDuration(`${hours === 0 && dayText.startsWith('-') ? '-0' : hours}h${rest}`);
}

/** Go's Duration.String() for a duration in milliseconds (sub-millisecond digits are dropped). */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '0s';
  const neg = ms < 0;
  let rest = Math.round(Math.abs(ms) * 1e6); // nanoseconds, exact for our ranges
  if (rest === 0) return '0s';
  let out: string;
  if (rest < 1e9) {
    if (rest < 1e3) out = `${rest}ns`;
    else if (rest < 1e6) out = `${trimFraction(rest / 1e3)}µs`;
    else out = `${trimFraction(rest / 1e6)}ms`;
  } else {
    const h = Math.floor(rest / 3.6e12);
    rest -= h * 3.6e12;
    const m = Math.floor(rest / 6e10);
    rest -= m * 6e10;
    const s = trimFraction(rest / 1e9);
    out = h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
  }
  return neg ? `-${out}` : out;
}

function trimFraction(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(9).replace(/0+$/, '');
}

/** `until − now` rounded to the nearest second (halves away from zero), as current upstream sends it. */
export function remainingDuration(untilMs: number, nowMs: number): string {
  const diff = untilMs - nowMs;
  const secs = Math.sign(diff) * Math.round(Math.abs(diff) / 1000);
  return formatGoDuration(secs * 1000);
}
