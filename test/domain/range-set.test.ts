import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseIpOrRange } from '../../src/domain/ip-range.js';
import { RangeSet } from '../../src/domain/range-set.js';
import { upperBound } from '../../src/domain/sorted.js';

const set = (...cidrs: string[]) => new RangeSet(cidrs.map(parseIpOrRange));

describe('RangeSet.overlaps', () => {
  const s = set('192.0.2.0/24', '192.0.2.128/25', '10.0.0.1', '10.0.0.2', '198.51.100.0/30', '2001:db8::/64', '2001:db8:1::1');
  const cases: [string, boolean][] = [
    ['192.0.2.0', true],
    ['192.0.2.255', true],
    ['192.0.3.0', false],
    ['192.0.0.0/16', true],
    ['10.0.0.0', false],
    ['10.0.0.1', true],
    ['10.0.0.2', true],
    ['10.0.0.3', false],
    ['10.0.0.0/30', true],
    ['198.51.100.3', true],
    ['198.51.100.4', false],
    ['0.0.0.0/0', true],
    ['2001:db8::ffff', true],
    ['2001:db8:0:1::', false],
    ['2001:db8:1::1', true],
    ['2001:db8:1::2', false],
    ['::/0', true],
    // the families never meet: the v4 set says nothing of ::ffff:0:0/96's neighbours
    ['::c000:201', false],
  ];
  for (const [q, want] of cases) test(`${q} → ${want}`, () => assert.equal(s.overlaps(parseIpOrRange(q)), want));

  test('empty', () => {
    assert.equal(set().empty, true);
    assert.equal(set().overlaps(parseIpOrRange('0.0.0.0/0')), false);
    assert.equal(set('::1').empty, false);
  });
});

describe('upperBound', () => {
  const cases: [number[], number, number][] = [
    [[], 5, 0],
    [[1, 3, 3, 5], 0, 0],
    [[1, 3, 3, 5], 1, 1],
    [[1, 3, 3, 5], 3, 3],
    [[1, 3, 3, 5], 4, 3],
    [[1, 3, 3, 5], 5, 4],
    [[1, 3, 3, 5], 9, 4],
  ];
  for (const [list, x, want] of cases) test(`[${list}] ${x} → ${want}`, () => assert.equal(upperBound(list, x), want));
  test('bigints', () => assert.equal(upperBound([1n, 2n, 1n << 100n], 3n), 2));
});
