import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTimestamp } from '../../src/domain/timestamp.js';
import { isoMicros } from '../../src/go-format.js';

const cases: [string, string][] = [
  ['2030-01-31T12:00:00Z', '2030-01-31T12:00:00.000Z'],
  ['2030-01-31t12:00:00z', '2030-01-31T12:00:00.000Z'],
  ['2030-01-31 12:00', '2030-01-31T12:00:00.000Z'],
  ['2030-01-31', '2030-01-31T00:00:00.000Z'],
  ['  2030-01-31T12:00:00  ', '2030-01-31T12:00:00.000Z'],
  ['2030-01-31T12:00:00.5Z', '2030-01-31T12:00:00.500Z'],
  ['2030-01-31T12:00:00.123456789Z', '2030-01-31T12:00:00.123Z'],
  ['2030-01-31T12:00:00+02:00', '2030-01-31T10:00:00.000Z'],
  ['2030-01-31T12:00:00-0530', '2030-01-31T17:30:00.000Z'],
  ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
];
for (const [text, iso] of cases) test(`parseTimestamp('${text}')`, () => assert.equal(new Date(parseTimestamp(text)).toISOString(), iso));

for (const text of [
  '',
  'tomorrow',
  '2030-02-30',
  '2029-02-29T00:00:00Z',
  '2030-01-31T24:00:00Z',
  '2030-01-31T12:60:00Z',
  '2030-01-31T12:00:00+24:00',
  '2030-1-31',
]) {
  test(`parseTimestamp refuses '${text}'`, () =>
    assert.throws(() => parseTimestamp(text), {
      name: 'TimestampError',
      message: `invalid date-time '${text}': expected ISO 8601, such as 2030-01-31T12:00:00Z`,
    }));
}

test('isoMicros: microseconds, as the console writes them', () => {
  assert.equal(isoMicros(Date.UTC(2025, 2, 26, 14, 55, 24, 582)), '2025-03-26T14:55:24.582000Z');
  assert.equal(isoMicros(Date.UTC(2025, 2, 26)), '2025-03-26T00:00:00.000000Z');
});
