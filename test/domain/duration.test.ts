import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { throwsExactly } from '../helpers/assert.js';
import { DurationError, formatGoDuration, parseDuration, parseGoDuration, remainingDuration } from '../../src/domain/duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

/**
 * A test a row: `parse` reads each `valid` text as its milliseconds, and refuses each `invalid` one with a
 * DurationError of exactly its message.
 */
function parseCases(parse: (text: string) => number, valid: [string, number][], invalid: [string, string][]): void {
  for (const [input, ms] of valid) {
    test(`${JSON.stringify(input)} is ${ms} ms`, () => {
      assert.equal(parse(input), ms);
    });
  }
  for (const [input, message] of invalid) {
    test(`${JSON.stringify(input)} is rejected: ${message}`, () => {
      throwsExactly(() => parse(input), DurationError, message);
    });
  }
}

describe('parseDuration (CrowdSec: Go duration plus a leading day count)', () => {
  const valid: [string, number][] = [
    ['4h', 4 * H],
    ['90m', 90 * M],
    ['1.5h', 1.5 * H],
    ['1h30m', 90 * M],
    ['300ms', 300],
    ['-1h', -H],
    ['+5s', 5 * S],
    ['2d', 2 * D],
    ['-2d', -2 * D],
    ['+1d', D],
    ['0d', 0],
    ['1d12h', D + 12 * H],
    ['2d3h4m5s', 2 * D + 3 * H + 4 * M + 5 * S],
    ['-1d2h', -26 * H],
    ['0', 0],
    ['-0', 0],
    ['1µs', 0.001], // U+00B5
    ['1μs', 0.001], // U+03BC
    ['1us', 0.001],
    ['1ns', 0.000001],
    ['.5s', 500],
    ['1.s', S],
    ['1h1h', 2 * H],
    [' 2h\t', 2 * H], // upstream trims spaces
    ['-', 0], // upstream quirk: a lone minus is zero
  ];
  const invalid: [string, string][] = [
    ['', 'empty duration string'],
    ['  ', 'empty duration string'],
    ['1 day', 'invalid day value in duration "1 day"'],
    ['d', 'invalid day value in duration "d"'],
    ['1.5d', 'invalid day value in duration "1.5d"'],
    ['1h30m2d', 'invalid day value in duration "1h30m2d"'],
    ['1d1d', `invalid duration "1d1d": 'd' can appear only as the first unit`],
    ['1d-2h', 'misplaced negative sign in duration "1d-2h"'],
    ['1h-2m', 'misplaced negative sign in duration "1h-2m"'],
    ['--1h', 'misplaced negative sign in duration "--1h"'],
    ['toto', 'time: invalid duration "toto"'],
    ['-toto', 'time: invalid duration "toto"'], // upstream hands Go what follows the sign
    ['2x', 'time: unknown unit "x" in duration "2x"'],
    ['1w', 'time: unknown unit "w" in duration "1w"'],
    ['2d3x', 'time: unknown unit "x" in duration "3x"'], // ... and what follows the day count
    ['1', 'time: missing unit in duration "1"'],
    ['1h2', 'time: missing unit in duration "1h2"'],
  ];
  parseCases(parseDuration, valid, invalid);
});

describe("parseGoDuration (Go's time.ParseDuration)", () => {
  const valid: [string, number][] = [
    ['1h30m', 90 * M],
    ['-1.5h', -1.5 * H],
    ['+0', 0],
    ['1.0000000001s', S], // below a nanosecond is dropped, as Go
    ['0.0000000001s', 0],
    ['1h0.5m', H + 30 * S],
  ];
  test('the int64 bounds: the largest and smallest durations parse, one past them does not', () => {
    assert.ok(parseGoDuration('2562047h47m16.854775807s') > 9_223_372_036_854.77);
    assert.ok(parseGoDuration('9223372036854775807ns') > 9_223_372_036_854.77);
    assert.ok(parseGoDuration('-9223372036854775808ns') < -9_223_372_036_854.77);
    assert.ok(parseGoDuration('-2562047h47m16.854775808s') < -9_223_372_036_854.77);
    throwsExactly(() => parseGoDuration('9223372036854775808ns'), DurationError, 'time: invalid duration "9223372036854775808ns"');
    throwsExactly(() => parseGoDuration('2562047h47m16.854775808s'), DurationError, 'time: invalid duration "2562047h47m16.854775808s"');
    throwsExactly(() => parseGoDuration('2562048h'), DurationError, 'time: invalid duration "2562048h"');
    throwsExactly(() => parseGoDuration('99999999999999999999s'), DurationError, 'time: invalid duration "99999999999999999999s"');
  });

  const invalid: [string, string][] = [
    ['', 'time: invalid duration ""'],
    ['-', 'time: invalid duration "-"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['1h-2m', 'time: unknown unit "h-" in duration "1h-2m"'],
    ['.s', 'time: invalid duration ".s"'],
    ['1.5.5s', 'time: missing unit in duration "1.5.5s"'],
    ['1µx', 'time: unknown unit "\\xc2\\xb5x" in duration "1\\xc2\\xb5x"'], // Go quotes non-ASCII bytes
    ['1"s', 'time: unknown unit "\\"s" in duration "1\\"s"'],
  ];
  parseCases(parseGoDuration, valid, invalid);
});

describe("formatGoDuration (Go's Duration.String())", () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [-0, '0s'],
    [45 * S, '45s'],
    [60 * S, '1m0s'],
    [3600 * S, '1h0m0s'],
    [3 * H + 59 * M + 58 * S, '3h59m58s'],
    [168 * H - S, '167h59m59s'],
    [-(2 * M + 3 * S), '-2m3s'],
    [1.5 * S, '1.5s'],
    [500, '500ms'],
    [1.2, '1.2ms'],
    [999.999999, '999.999999ms'],
    [0.001, '1µs'],
    [0.0015, '1.5µs'],
    [0.000001, '1ns'],
    [-0.5, '-500µs'],
    [S + 0.000001, '1.000000001s'],
    [M + S + 1, '1m1.001s'],
    // the examples of Go's documentation and of issue 12
    [4 * H - 400, '3h59m59.6s'],
    [M + 500, '1m0.5s'],
    [999, '999ms'],
    [-(M + 2500), '-1m2.5s'],
    [60 * H, '60h0m0s'],
    [200_000 * H + 1, '200000h0m0.001s'], // past 2^53 ns: exact digits, no float noise
    [Number.NaN, '0s'],
    [Number.POSITIVE_INFINITY, '0s'],
  ];
  for (const [ms, text] of cases) {
    test(`${ms} ms is ${text}`, () => {
      assert.equal(formatGoDuration(ms), text);
    });
  }

  const roundTrips: [string, string][] = [
    ['1d12h', '36h0m0s'],
    ['90m', '1h30m0s'],
    ['-1d2h', '-26h0m0s'],
    ['1.5h', '1h30m0s'],
    ['300ms', '300ms'],
    ['2562047h47m16s', '2562047h47m16s'],
  ];
  for (const [input, text] of roundTrips) {
    test(`${input} prints as ${text}`, () => {
      assert.equal(formatGoDuration(parseDuration(input)), text);
    });
  }
});

describe('remainingDuration (until − now, rounded to the second, halves away from zero)', () => {
  const now = Date.UTC(2026, 6, 24, 8, 15, 30);
  const cases: [number, string][] = [
    [0, '0s'],
    [1500, '2s'],
    [-1500, '-2s'],
    [2500, '3s'],
    [-2500, '-3s'],
    [499, '0s'],
    [-499, '0s'],
    [500, '1s'],
    [-500, '-1s'],
    [45 * S + 400, '45s'],
    [4 * H - 1600, '3h59m58s'],
    [168 * H - 600, '167h59m59s'],
    [-(2 * M + 3 * S), '-2m3s'],
    // a ban created 0.4 s ago, and one deleted 12 ms before the pull: whole seconds, as upstream since v1.6.3
    [4 * H - 400, '4h0m0s'],
    [-12, '0s'],
  ];
  for (const [diff, text] of cases) {
    test(`${diff} ms left is ${text}`, () => {
      assert.equal(remainingDuration(now + diff, now), text);
    });
  }
});
