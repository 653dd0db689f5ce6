import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Decision } from '../../src/domain/decision.js';
import { parseIpOrRange } from '../../src/domain/ip-range.js';
import { asList, bucketAdd, bucketRemove, PrefixTable, type Bucket } from '../../src/engine/prefix-table.js';

const dec = (id: number, value: string) => ({ id, value, range: parseIpOrRange(value) }) as Decision;

function table(bits: 32 | 128, values: string[]): PrefixTable {
  const t = new PrefixTable(bits);
  values.forEach((v, i) => {
    const d = dec(i + 1, v);
    t.add(d, d.range!);
  });
  return t;
}

const ids = (it: Iterable<Decision>) => [...it].map((d) => d.id).sort((a, b) => a - b);

describe('PrefixTable', () => {
  const v4 = table(32, ['0.0.0.0/0', '10.0.0.0/8', '10.1.0.0/16', '10.1.2.3', '10.1.2.0/24', '192.0.2.1', '10.1.2.3']);
  const v6 = table(128, ['2001:db8::/32', '2001:db8::1', '2001:db8:0:1::/64', '::/0']);
  const cases: [string, PrefixTable, string, number[], number[]][] = [
    // what, table, query, containing, overlapping
    ['an address: every range holding it, duplicates included', v4, '10.1.2.3', [1, 2, 3, 4, 5, 7], [1, 2, 3, 4, 5, 7]],
    ['a /16: those holding it, and those inside it', v4, '10.1.0.0/16', [1, 2, 3], [1, 2, 3, 4, 5, 7]],
    ['an address only /0 holds', v4, '203.0.113.1', [1], [1]],
    ['the whole space overlaps everything', v4, '0.0.0.0/0', [1], [1, 2, 3, 4, 5, 6, 7]],
    ['IPv6: an address', v6, '2001:db8::1', [1, 2, 4], [1, 2, 4]],
    ['IPv6: a /48 holds a /64 and an address', v6, '2001:db8::/48', [1, 4], [1, 2, 3, 4]],
  ];
  for (const [what, t, q, containing, overlapping] of cases) {
    test(what, () => {
      assert.deepEqual(ids(t.containing(parseIpOrRange(q))), containing);
      assert.deepEqual(ids(t.overlapping(parseIpOrRange(q))), overlapping);
    });
  }

  test('removal takes one decision off its key; the others stay', () => {
    const t = new PrefixTable(32);
    const [a, b] = [dec(1, '10.0.0.1'), dec(2, '10.0.0.1')];
    t.add(a, a.range!);
    t.add(b, b.range!);
    t.remove(a, a.range!);
    assert.deepEqual(ids(t.containing(parseIpOrRange('10.0.0.1'))), [2]);
    t.remove(b, b.range!);
    assert.deepEqual(ids(t.containing(parseIpOrRange('10.0.0.1'))), []);
  });

  test('overlapCost: one probe per prefix length up to the query, and the lesser of networks and entries past it', () => {
    const t = table(32, ['10.0.0.1', '10.0.0.2', '10.0.0.0/24', '10.0.0.0/8']);
    assert.equal(t.overlapCost(parseIpOrRange('10.0.0.1')), 3);
    // /8 and /24 are one probe each; /32 under a /24 has 256 networks but 2 entries
    assert.equal(t.overlapCost(parseIpOrRange('10.0.0.0/24')), 4);
    // /24 under a /16: 256 networks, 1 entry
    assert.equal(t.overlapCost(parseIpOrRange('10.0.0.0/16')), 4);
  });
});

describe('buckets', () => {
  test('one decision is the bucket itself, two make an array, removal folds it back', () => {
    const map = new Map<string, Bucket>();
    const [a, b] = [dec(1, '10.0.0.1'), dec(2, '10.0.0.1')];
    bucketAdd(map, 'k', a);
    assert.equal(map.get('k'), a);
    bucketAdd(map, 'k', b);
    assert.deepEqual(asList(map.get('k')), [a, b]);
    bucketRemove(map, 'k', a);
    assert.equal(map.get('k'), b);
    bucketRemove(map, 'k', a);
    assert.equal(map.get('k'), b);
    bucketRemove(map, 'k', b);
    assert.equal(map.has('k'), false);
    assert.deepEqual(asList(undefined), []);
  });
});
