import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CidrAggregator, cidrsOf, compareRanges, RangeUnion } from '../../src/domain/cidr.js';
import { formatRange, parseIp, parseIpOrRange, type IpRange } from '../../src/domain/ip-range.js';

const r = parseIpOrRange;
/** Blocks as text, single addresses with their /32 or /128 (what a CIDR list prints). */
const text = (blocks: IpRange[]) => blocks.map((b) => (formatRange(b).includes('/') ? formatRange(b) : `${formatRange(b)}/${b.prefix}`));
const between = (a: string, b: string) => {
  const x = parseIp(a);
  return cidrsOf(x.size, x.start, parseIp(b).end);
};
const sorted = (values: string[]) => values.map(r).sort(compareRanges);

function aggregate(values: string[]): string[] {
  const agg = new CidrAggregator();
  const out: IpRange[] = [];
  for (const v of sorted(values)) out.push(...agg.push(v));
  out.push(...agg.end());
  return text(out);
}

function union(values: string[]): string[] {
  const u = new RangeUnion();
  return sorted(values)
    .map((v) => u.push(v))
    .filter((v): v is IpRange => v !== null)
    .map(formatRange);
}

describe('cidrsOf', () => {
  const cases: [string, string, string[]][] = [
    ['1.2.3.4', '1.2.3.4', ['1.2.3.4/32']],
    ['10.0.0.0', '10.0.0.6', ['10.0.0.0/30', '10.0.0.4/31', '10.0.0.6/32']],
    ['10.0.0.1', '10.0.0.8', ['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/30', '10.0.0.8/32']],
    ['10.0.0.0', '10.0.0.255', ['10.0.0.0/24']],
    ['0.0.0.0', '255.255.255.255', ['0.0.0.0/0']],
    ['255.255.255.255', '255.255.255.255', ['255.255.255.255/32']],
    ['2001:db8::', '2001:db8::ffff', ['2001:db8::/112']],
    ['2001:db8::1', '2001:db8::2', ['2001:db8::1/128', '2001:db8::2/128']],
    ['::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', ['::/0']],
    ['2001:db8::', '2001:db8:0:1::', ['2001:db8::/64', '2001:db8:0:1::/128']],
  ];
  for (const [a, b, want] of cases) test(`${a}..${b}`, () => assert.deepEqual(text(between(a, b)), want));

  test('0.0.0.1..255.255.255.255: one block per prefix length, 32 in all, covering exactly', () => {
    const blocks = between('0.0.0.1', '255.255.255.255');
    assert.deepEqual(
      blocks.map((b) => b.prefix),
      Array.from({ length: 32 }, (_, i) => 32 - i),
    );
    assert.equal(text(blocks)[0], '0.0.0.1/32');
    assert.equal(text(blocks)[31], '128.0.0.0/1');
    for (let i = 1; i < blocks.length; i++) assert.equal(blocks[i]!.start, blocks[i - 1]!.end + 1n);
  });

  test('a large IPv6 interval stays small: ::1..ffff:…:fffe is 254 blocks', () => {
    const blocks = between('::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe');
    assert.equal(blocks.length, 254);
    assert.equal(blocks[0]!.start, 1n);
    assert.equal(blocks.at(-1)!.end, (1n << 128n) - 2n);
  });

  test('bounds that are not an interval of the family are a RangeError', () => {
    assert.throws(() => cidrsOf(4, 5n, 4n), RangeError);
    assert.throws(() => cidrsOf(4, 0n, 1n << 32n), RangeError);
    assert.throws(() => cidrsOf(16, -1n, 0n), RangeError);
  });
});

describe('compareRanges', () => {
  test('IPv4 first, then start ascending, then the wider first', () => {
    const values = ['2001:db8::1', '10.0.0.1', '10.0.0.0/24', '10.0.0.0/8', '9.9.9.9', '::/0', '10.0.0.0'];
    assert.deepEqual(sorted(values).map(formatRange), [
      '9.9.9.9',
      '10.0.0.0/8',
      '10.0.0.0/24',
      '10.0.0.0',
      '10.0.0.1',
      '::/0',
      '2001:db8::1',
    ]);
    assert.equal(compareRanges(r('1.2.3.4'), r('1.2.3.4')), 0);
  });
});

describe('RangeUnion', () => {
  const cases: [string, string[], string[]][] = [
    ['duplicates go', ['1.2.3.4', '1.2.3.4', '1.2.3.4/32'], ['1.2.3.4']],
    ['contained entries go', ['10.0.0.0/8', '10.1.2.3', '10.0.0.0/24', '10.255.255.255'], ['10.0.0.0/8']],
    ['neighbours stay apart', ['1.2.3.4', '1.2.3.5'], ['1.2.3.4', '1.2.3.5']],
    ['families never contain each other', ['0.0.0.0/0', '::/0', '::ffff:0:1', '2001:db8::1'], ['0.0.0.0/0', '::/0']],
    ['IPv6 containment', ['2001:db8::/32', '2001:db8:1::/48', '2001:db9::1'], ['2001:db8::/32', '2001:db9::1']],
    [
      'after a contained entry, the next is compared with the container',
      ['10.0.0.0/30', '10.0.0.1', '10.0.0.3', '10.0.0.4'],
      ['10.0.0.0/30', '10.0.0.4'],
    ],
  ];
  for (const [name, values, want] of cases) test(name, () => assert.deepEqual(union(values), want));

  test('unsorted input is a RangeError', () => {
    const u = new RangeUnion();
    u.push(r('10.0.0.1'));
    assert.throws(() => u.push(r('10.0.0.0')), { name: 'RangeError', message: 'RangeUnion: ranges must come in compareRanges order' });
  });
});

describe('CidrAggregator', () => {
  const cases: [string, string[], string[]][] = [
    ['a single IP is a /32', ['1.2.3.4'], ['1.2.3.4/32']],
    ['a single IPv6 address is a /128', ['2001:db8::1'], ['2001:db8::1/128']],
    ['two neighbours make a /31', ['1.2.3.4', '1.2.3.5'], ['1.2.3.4/31']],
    ['neighbours across an alignment boundary stay two blocks', ['1.2.3.3', '1.2.3.4'], ['1.2.3.3/32', '1.2.3.4/32']],
    [
      '0..6 as seven addresses',
      ['10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6'],
      ['10.0.0.0/30', '10.0.0.4/31', '10.0.0.6/32'],
    ],
    ['contained entries vanish', ['10.0.0.0/8', '10.1.2.3', '10.200.0.0/16'], ['10.0.0.0/8']],
    ['two halves make the whole', ['192.0.2.128/25', '192.0.2.0/25'], ['192.0.2.0/24']],
    ['overlap that sticks out', ['10.0.0.0/30', '10.0.0.2/31', '10.0.0.4'], ['10.0.0.0/30', '10.0.0.4/32']],
    ['gaps keep blocks apart', ['1.1.1.1', '1.1.1.3'], ['1.1.1.1/32', '1.1.1.3/32']],
    ['IPv4 and IPv6 separately, IPv4 first', ['2001:db8::', '1.2.3.4', '2001:db8::1', '1.2.3.5'], ['1.2.3.4/31', '2001:db8::/127']],
    ['the last IPv4 address does not run into IPv6', ['255.255.255.255', '::'], ['255.255.255.255/32', '::/128']],
    ['0.0.0.0/0 swallows everything IPv4', ['0.0.0.0/0', '1.2.3.4', '255.255.255.255'], ['0.0.0.0/0']],
    ['two /1 make /0', ['128.0.0.0/1', '0.0.0.0/1'], ['0.0.0.0/0']],
    ['::/0', ['::/0', '2001:db8::/32'], ['::/0']],
    ['IPv6 neighbours of /64s', ['2001:db8:0:1::/64', '2001:db8::/64', '2001:db8:0:2::/64'], ['2001:db8::/63', '2001:db8:0:2::/64']],
    ['nothing in, nothing out', [], []],
  ];
  for (const [name, values, want] of cases) test(name, () => assert.deepEqual(aggregate(values), want));

  test('streaming: push returns the blocks an entry closes, end the rest', () => {
    const agg = new CidrAggregator();
    assert.deepEqual(agg.push(r('1.2.3.4')), []);
    assert.deepEqual(agg.push(r('1.2.3.5')), []);
    assert.deepEqual(text(agg.push(r('1.2.3.7'))), ['1.2.3.4/31']);
    assert.deepEqual(text(agg.push(r('::1'))), ['1.2.3.7/32']);
    assert.deepEqual(text(agg.end()), ['::1/128']);
    assert.deepEqual(agg.end(), []);
    // fed again after end: a fresh start, even below what came before
    assert.deepEqual(agg.push(r('1.0.0.0')), []);
    assert.deepEqual(text(agg.end()), ['1.0.0.0/32']);
  });

  test('many adjacent addresses: a /16 from 65536 single IPs', () => {
    const agg = new CidrAggregator();
    const out: IpRange[] = [];
    for (let i = 0; i < 65536; i++) {
      const v = BigInt(0x0a000000 + i);
      out.push(...agg.push({ size: 4, start: v, end: v, prefix: 32 }));
    }
    out.push(...agg.end());
    assert.deepEqual(text(out), ['10.0.0.0/16']);
  });

  test('unsorted input is a RangeError', () => {
    const agg = new CidrAggregator();
    agg.push(r('::1'));
    assert.throws(() => agg.push(r('1.2.3.4')), { name: 'RangeError', message: 'CidrAggregator: ranges must come in compareRanges order' });
  });
});
