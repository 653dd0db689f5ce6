/**
 * Go durations, as CrowdSec reads and writes them.
 * Input: Go's time.ParseDuration syntax plus an optional leading day count (`2d`, `1d12h`, `-1d2h`), as
 * go-cs-lib's cstime.ParseDurationWithDays. Output: Go's Duration.String() (`3h59m58s`, `59m0s`, `0s`, `-2m3s`, `500ms`).
 * Both sides work in int64 nanoseconds as Go does (BigInt here); the exported functions carry milliseconds
 * (fractions allowed) since every stored time is in milliseconds.
 */

import { InvalidValueError } from '../errors.js';
import { goQuote } from '../go-format.js';

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5
  μs: 1_000n, // U+03BC
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const NS_PER_MS = 1_000_000n;
const NS_PER_DAY = 86_400_000_000_000n;
/** 1<<63, the bound Go's parser checks its unsigned accumulator against. */
const U63 = 1n << 63n;

export class DurationError extends InvalidValueError {
  override name = 'DurationError';
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** The `quote` of Go's time package: non-ASCII and control bytes become `\xNN`. */
function timeQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x80 || cp < 0x20) {
      for (const b of Buffer.from(ch, 'utf8')) out += `\\x${b.toString(16).padStart(2, '0')}`;
    } else {
      out += ch === '"' || ch === '\\' ? `\\${ch}` : ch;
    }
  }
  return `${out}"`;
}

/** Go's time.ParseDuration, in nanoseconds (a port of its code, overflow checks included). */
function parseGoNanos(orig: string): bigint {
  const invalid = () => new DurationError(`time: invalid duration ${timeQuote(orig)}`);
  let s = orig;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  let d = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) throw invalid();
    // [0-9]*
    let i = 0;
    let v = 0n;
    for (; isDigit(s[i]); i++) {
      if (v > U63 / 10n) throw invalid();
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > U63) throw invalid();
    }
    const pre = i > 0;
    s = s.slice(i);
    // (\.[0-9]*)? — past 63 bits of precision the digits are read and dropped, as Go does.
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      for (; isDigit(s[j]); j++) {
        if (overflow) continue;
        if (f > (U63 - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
        if (y > U63) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) throw invalid();
    // The unit: everything up to the next digit or dot.
    let u = 0;
    while (u < s.length && !(s[u] === '.' || isDigit(s[u]))) u++;
    if (u === 0) throw new DurationError(`time: missing unit in duration ${timeQuote(orig)}`);
    const unitText = s.slice(0, u);
    s = s.slice(u);
    const unit = UNIT_NS[unitText];
    if (unit === undefined) {
      throw new DurationError(`time: unknown unit ${timeQuote(unitText)} in duration ${timeQuote(orig)}`);
    }
    if (v > U63 / unit) throw invalid();
    v *= unit;
    if (f > 0n) {
      // As Go: float64 arithmetic, truncated to whole nanoseconds.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > U63) throw invalid();
    }
    d += v;
    if (d > U63) throw invalid();
  }
  if (neg) return -d;
  if (d > U63 - 1n) throw invalid();
  return d;
}

/** Go's strings.TrimSpace (unicode.IsSpace: no U+FEFF, but U+0085). */
const GO_SPACE = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const TRIM = new RegExp(`^${GO_SPACE}+|${GO_SPACE}+$`, 'g');

/** Go's strconv.Atoi (decimal, optional sign, int64 range), or null. */
function atoi(s: string): bigint | null {
  if (!/^[+-]?[0-9]+$/.test(s)) return null;
  const n = BigInt(s);
  return n >= -U63 && n < U63 ? n : null;
}

/** go-cs-lib's cstime.ParseDurationWithDays, in nanoseconds. int64 overflow wraps, as in Go. */
function parseDurationNanos(input: string): bigint {
  let s = input.replace(TRIM, '');
  if (s === '') throw new DurationError('empty duration string');
  let negative = false;
  if (s.startsWith('-')) {
    negative = true;
    s = s.slice(1);
  }
  let total = 0n;
  const d = s.indexOf('d');
  if (d !== -1) {
    const rest = s.slice(d + 1);
    if (rest.includes('d')) {
      throw new DurationError(`invalid duration ${goQuote(input)}: 'd' can appear only as the first unit`);
    }
    const days = atoi(s.slice(0, d));
    if (days === null) throw new DurationError(`invalid day value in duration ${goQuote(input)}`);
    total = BigInt.asIntN(64, days * NS_PER_DAY);
    s = rest;
  }
  if (s.includes('-')) throw new DurationError(`misplaced negative sign in duration ${goQuote(input)}`);
  // Errors from here quote what is left after the day count (`2d3x` → `... in duration "3x"`), as upstream.
  if (s !== '') total = BigInt.asIntN(64, total + parseGoNanos(s));
  return negative ? BigInt.asIntN(64, -total) : total;
}

function nanosToMs(ns: bigint): number {
  return Number(ns / NS_PER_MS) + Number(ns % NS_PER_MS) / 1e6;
}

function msToNanos(ms: number): bigint {
  const whole = Math.trunc(ms);
  return BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6));
}

/** Go's time.ParseDuration, returning milliseconds. Throws DurationError with Go's message. */
export function parseGoDuration(input: string): number {
  return nanosToMs(parseGoNanos(input));
}

/**
 * CrowdSec's duration: a Go duration with an optional leading `Nd` day count (go-cs-lib
 * cstime.ParseDurationWithDays). Surrounding spaces are ignored; a lone `-` is zero, as upstream.
 * Throws DurationError with upstream's messages.
 */
export function parseDuration(input: string): number {
  return nanosToMs(parseDurationNanos(input));
}

/** Go's fmtFrac: the fraction of v / 10^prec without trailing zeros (and no dot when it is zero). */
function fmtFrac(v: bigint, prec: number): [string, bigint] {
  let digits = '';
  let print = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    print ||= digit !== 0n;
    if (print) digits = `${digit}${digits}`;
    v /= 10n;
  }
  return [print ? `.${digits}` : '', v];
}

/** Go's Duration.String() for a duration in milliseconds (below a nanosecond is rounded away). */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '0s';
  const ns = msToNanos(ms);
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u === 0n) return '0s';
    const [prec, unit] = u < 1_000n ? [0, 'ns'] : u < 1_000_000n ? [3, 'µs'] : [6, 'ms'];
    const [frac, int] = fmtFrac(u, prec);
    out = `${int}${frac}${unit}`;
  } else {
    const [frac, secs] = fmtFrac(u, 9);
    u = secs;
    out = `${u % 60n}${frac}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/**
 * `until − now` rounded to the nearest second (halves away from zero, as Go's Round), as upstream sends every
 * decision's `duration` since v1.6.3 (crowdsec#3015, in both the bouncer and the alert formatters). Older
 * releases sent it unrounded (`3h59m57.641708614s`); going back to that breaks @crowdsec/nodejs-bouncer, whose
 * parser reads no `ms` unit, on a decision deleted less than a second before a pull (test/clients).
 */
export function remainingDuration(untilMs: number, nowMs: number): string {
  const diff = untilMs - nowMs;
  const secs = Math.round(Math.abs(diff) / 1000);
  // the bouncer hot path: whole seconds need no BigInt arithmetic
  if (secs === 0) return '0s';
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const text = h > 0 ? `${h}h${m}m${secs % 60}s` : m > 0 ? `${m}m${secs % 60}s` : `${secs}s`;
  return diff < 0 ? `-${text}` : text;
}
