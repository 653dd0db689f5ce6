import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goDateTime, goJson, goQuote, goString, goTimeString, isoMicros, rfc3339, rfc3339Nano } from '../src/go-format.js';

const t = Date.UTC(2026, 6, 24, 9, 0, 5, 120);
const whole = Date.UTC(2026, 6, 24, 9, 0, 5);

test('goQuote is strconv.Quote (QuoteRune with a single quote)', () => {
  const table: [string, string, string?][] = [
    ['plain', '"plain"'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ['\t\n\x07', '"\\t\\n\\a"'],
    ['\x00\x7f', '"\\x00\\x7f"'],
    ['\u00ad', '"\\u00ad"'],
    ['é😀', '"é😀"'],
    ["'", "'\\''", "'"],
  ];
  for (const [s, want, quote] of table) assert.equal(goQuote(s, quote), want, JSON.stringify(s));
});

test("JSON as Go's encoder writes it: <, >, & and the line separators escaped", () => {
  assert.equal(goString('plain'), '"plain"');
  assert.equal(goString('<a href="x">&\u2028'), '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u2028"');
  assert.equal(goJson({ n: '<a&b>' }), '{"n":"\\u003ca\\u0026b\\u003e"}');
  assert.equal(goJson([], 2), '[]');
  assert.equal(goJson({ a: [1] }, 2), '{\n  "a": [\n    1\n  ]\n}');
  assert.equal(goJson(undefined), 'null');
});

test('times: RFC 3339 to the second, Go JSON fractions, Time.String(), go-openapi DateTime, microseconds', () => {
  const table: [string, string, string][] = [
    [rfc3339(t), '2026-07-24T09:00:05Z', 'rfc3339 truncates'],
    [rfc3339(t + 880), '2026-07-24T09:00:06Z', 'rfc3339 at the next second'],
    [rfc3339Nano(t), '2026-07-24T09:00:05.12Z', 'rfc3339Nano drops trailing zeros'],
    [rfc3339Nano(whole), '2026-07-24T09:00:05Z', 'rfc3339Nano, whole second'],
    [rfc3339Nano(whole + 7), '2026-07-24T09:00:05.007Z', 'rfc3339Nano, leading zeros kept'],
    [goTimeString(t), '2026-07-24 09:00:05.12 +0000 UTC', 'Time.String()'],
    [goTimeString(whole), '2026-07-24 09:00:05 +0000 UTC', 'Time.String(), whole second'],
    [goDateTime(whole), '2026-07-24T09:00:05.000Z', 'DateTime keeps milliseconds'],
    [isoMicros(t), '2026-07-24T09:00:05.120000Z', 'microseconds'],
  ];
  for (const [got, want, what] of table) assert.equal(got, want, what);
});
