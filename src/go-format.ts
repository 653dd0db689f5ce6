/**
 * Go's text forms that Lapis reproduces byte for byte, in one place: strconv.Quote, encoding/json's escaping,
 * and the time layouts upstream prints. Durations are apart, in `domain/duration.ts`, because they are parsed as
 * well as printed; expr's number and value forms (`strconv.FormatFloat`, `%v`) are in `expr/format.ts`.
 */

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const QUOTE_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/** strconv.Quote (or QuoteRune with `quote = "'"`): Go escapes for anything not printable. */
export function goQuote(s: string, quote = '"'): string {
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (PRINTABLE.test(ch)) out += ch;
    else if (QUOTE_ESCAPES[ch] !== undefined) out += QUOTE_ESCAPES[ch];
    else if (cp < 0x80) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return out + quote;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

// Characters JSON must escape, plus those Go's encoder escapes on top (`<`, `>`, `&`, U+2028, U+2029).
const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029]/;
const GO_EXTRA_ESCAPES = /[<>&\u2028\u2029]/g;
const goEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** JSON strings as Go's encoder writes them: `<`, `>`, `&` and the JS line separators escaped. */
export function goString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  return JSON.stringify(s).replace(GO_EXTRA_ESCAPES, goEscape);
}

/** goString without its quotes: the string itself when nothing needs escaping (the common case: no copy). */
export function goEscaped(s: string): string {
  return NEEDS_ESCAPE.test(s) ? goString(s).slice(1, -1) : s;
}

/** Go's json.Marshal of a JSON value (`undefined` is `null`), indented by `indent` spaces when given. */
export function goJson(value: unknown, indent = 0): string {
  const text = JSON.stringify(value === undefined ? null : value, null, indent) ?? 'null';
  return text.replace(GO_EXTRA_ESCAPES, goEscape);
}

function pad(n: number, width = 2): string {
  return String(Math.trunc(Math.abs(n))).padStart(width, '0');
}

/** Go's RFC 3339 at whole seconds in UTC (`2026-07-24T08:15:30Z`), as `Format(time.RFC3339)`: alert and machine times. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** RFC 3339 with the fraction Go's time.Time JSON encoding keeps (trailing zeros dropped). */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d+)Z$/, (_m, frac: string) => {
    const f = frac.replace(/0+$/, '');
    return f === '' ? 'Z' : `.${f}Z`;
  });
}

/** Go's RFC 3339 at whole seconds in the server's local zone (`2026-07-24T15:04:05+02:00`, or `Z` in UTC). */
export function rfc3339Local(ms: number): string {
  const d = new Date(ms);
  const offsetMin = -d.getTimezoneOffset();
  const zone = offsetMin === 0 ? 'Z' : `${offsetMin > 0 ? '+' : '-'}${pad(offsetMin / 60)}:${pad(offsetMin % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${zone}`;
}

/** Go's Time.String() in UTC, as upstream prints event timestamps: `2026-07-24 08:15:30 +0000 UTC`. */
export function goTimeString(ms: number): string {
  const iso = new Date(ms).toISOString();
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ''} +0000 UTC`;
}

/** go-openapi's DateTime: milliseconds always, `Z` in UTC. */
export function goDateTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** `2025-03-26T14:55:24.582000Z`: microseconds, as the console writes them (ours are whole milliseconds). */
export function isoMicros(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
