import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  boundHex,
  formatAddress,
  formatRange,
  IpParseError,
  parseIpOrRange,
  rangeContains,
  rangesNest,
  type IpRange,
} from '../../src/domain/ip-range.js';

const V6_MAX = (1n << 128n) - 1n;

describe('parseIpOrRange: valid input', () => {
  const cases: [string, IpRange][] = [
    ['1.2.3.4', { size: 4, start: 0x01020304n, end: 0x01020304n, prefix: 32 }],
    ['0.0.0.0', { size: 4, start: 0n, end: 0n, prefix: 32 }],
    ['255.255.255.255', { size: 4, start: 0xffffffffn, end: 0xffffffffn, prefix: 32 }],
    ['10.1.2.3/24', { size: 4, start: 0x0a010200n, end: 0x0a0102ffn, prefix: 24 }],
    ['1.2.3.0/24', { size: 4, start: 0x01020300n, end: 0x010203ffn, prefix: 24 }],
    ['4.4.4.2/28', { size: 4, start: 0x04040400n, end: 0x0404040fn, prefix: 28 }],
    ['1.2.3.4/32', { size: 4, start: 0x01020304n, end: 0x01020304n, prefix: 32 }],
    ['0.0.0.0/0', { size: 4, start: 0n, end: 0xffffffffn, prefix: 0 }],
    ['1.2.3.0/024', { size: 4, start: 0x01020300n, end: 0x010203ffn, prefix: 24 }], // Go's dtoi takes leading zeros
    ['1.2.3.0/0024', { size: 4, start: 0x01020300n, end: 0x010203ffn, prefix: 24 }],
    ['2001:db8::1', { size: 16, start: 0x20010db8000000000000000000000001n, end: 0x20010db8000000000000000000000001n, prefix: 128 }],
    ['::', { size: 16, start: 0n, end: 0n, prefix: 128 }],
    ['::1', { size: 16, start: 1n, end: 1n, prefix: 128 }],
    ['::/0', { size: 16, start: 0n, end: V6_MAX, prefix: 0 }],
    ['2001:db8::/109', { size: 16, start: 0x20010db8000000000000000000000000n, end: 0x20010db800000000000000000007ffffn, prefix: 109 }],
    ['2001:DB8::1/64', { size: 16, start: 0x20010db8000000000000000000000000n, end: 0x20010db800000000ffffffffffffffffn, prefix: 64 }],
    ['1:2:3:4:5:6:7::', { size: 16, start: 0x00010002000300040005000600070000n, end: 0x00010002000300040005000600070000n, prefix: 128 }],
    ['::2:3:4:5:6:7:8', { size: 16, start: 0x00000002000300040005000600070008n, end: 0x00000002000300040005000600070008n, prefix: 128 }],
    // IPv4-mapped IPv6 is IPv4; IPv4-compatible (`::1.2.3.4`) is not.
    ['::ffff:192.0.2.1', { size: 4, start: 0xc0000201n, end: 0xc0000201n, prefix: 32 }],
    ['::FFFF:192.0.2.1', { size: 4, start: 0xc0000201n, end: 0xc0000201n, prefix: 32 }],
    ['::ffff:c000:201', { size: 4, start: 0xc0000201n, end: 0xc0000201n, prefix: 32 }],
    ['::ffff:192.0.2.0/120', { size: 4, start: 0xc0000200n, end: 0xc00002ffn, prefix: 24 }],
    ['::ffff:192.0.2.77/120', { size: 4, start: 0xc0000200n, end: 0xc00002ffn, prefix: 24 }],
    ['::ffff:0:0/96', { size: 4, start: 0n, end: 0xffffffffn, prefix: 0 }],
    ['::1.2.3.4', { size: 16, start: 0x01020304n, end: 0x01020304n, prefix: 128 }],
    ['::1.2.3.0/120', { size: 16, start: 0x01020300n, end: 0x010203ffn, prefix: 120 }],
    ['::0:1.2.3.4', { size: 16, start: 0x01020304n, end: 0x01020304n, prefix: 128 }],
  ];
  for (const [input, want] of cases) {
    test(input, () => {
      assert.deepEqual(parseIpOrRange(input), want);
    });
  }

  test('a /64 covers the whole low half', () => {
    const r = parseIpOrRange('2001:db8::1/64');
    assert.equal(r.end - r.start, (1n << 64n) - 1n);
    assert.equal(r.start, 0x20010db8n << 96n);
  });
});

describe('parseIpOrRange: invalid input, with upstream messages', () => {
  const badIps = [
    'abc',
    '',
    '01.2.3.4', // Go rejects leading zeros
    '1.2.3.04',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    ' 1.2.3.4',
    '1.2.3.4 ',
    'fe80::1%eth0', // zones
    '::ffff:01.2.3.4',
    '1::2:3:4:5:6:7:8', // `::` standing for no group
    '00001::',
    '1:2:3:4:5:6:7:8:9',
    '1.2.3.4::',
  ];
  for (const input of badIps) {
    test(JSON.stringify(input), () => {
      assert.throws(() => parseIpOrRange(input), { name: 'IpParseError', message: `invalid ip address '${input}'` });
    });
  }

  const badRanges = [
    '1.2.3.4/33',
    '::/129',
    '1.1.1.1/2/3',
    '1.2.3.4/',
    '/24',
    '1.2.3.4/-1',
    '1.2.3.4/+8',
    '1.2.3.4/ 8',
    '1.2.3.4/8 ',
    '1.2.3.4/0x8',
    '1.2.3.4/99999999999999999999',
    'abc/24',
    '01.2.3.0/24',
    'fe80::1%eth0/64',
    '::ffff:1.2.3.4/129',
    '::ffff:1.2.3.4/95', // a mapped range wider than ::ffff:0:0/96
  ];
  for (const input of badRanges) {
    test(JSON.stringify(input), () => {
      assert.throws(() => parseIpOrRange(input), {
        name: 'IpParseError',
        message: `invalid ip range '${input}': invalid CIDR address: ${input}`,
      });
    });
  }

  test('the exact text for 1.1.1.1/2/3', () => {
    assert.throws(
      () => parseIpOrRange('1.1.1.1/2/3'),
      (err: unknown) => {
        assert.ok(err instanceof IpParseError);
        assert.equal(err.message, "invalid ip range '1.1.1.1/2/3': invalid CIDR address: 1.1.1.1/2/3");
        return true;
      },
    );
  });
});

describe('rangeContains and rangesNest', () => {
  // [a, b, a contains b, b contains a]
  const cases: [string, string, boolean, boolean][] = [
    ['1.2.3.0/24', '1.2.3.4', true, false],
    ['1.2.3.0/24', '1.2.3.0', true, false],
    ['1.2.3.0/24', '1.2.3.255', true, false],
    ['1.2.3.0/24', '1.2.4.0', false, false],
    ['1.2.3.0/24', '1.2.2.255', false, false],
    ['4.4.0.0/16', '4.4.4.0/24', true, false],
    ['4.4.4.0/24', '4.4.4.2/28', true, false],
    ['1.2.3.4', '1.2.3.4', true, true],
    ['1.2.3.0/24', '1.2.3.77/24', true, true],
    ['0.0.0.0/0', '255.255.255.255', true, false],
    ['2001:db8::/32', '2001:db8:1::1', true, false],
    ['2001:db8::/109', '2001:db8::7:ffff', true, false],
    ['2001:db8::/109', '2001:db8::8:0', false, false],
    ['2001:db8::/64', '2001:db8:0:1::/64', false, false],
    ['::/0', '2001:db8::1', true, false],
    ['::/0', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', true, false],
    // Never across families, even where the numbers would fit.
    ['0.0.0.0/0', '::1', false, false],
    ['::/0', '1.2.3.4', false, false],
    ['::/0', '::ffff:1.2.3.4', false, false],
    ['::/96', '0.0.0.1', false, false],
    // A mapped range is the IPv4 range.
    ['::ffff:0:0/96', '1.2.3.4', true, false],
    ['::ffff:1.2.3.0/120', '1.2.3.4', true, false],
    ['1.2.3.0/24', '::ffff:1.2.3.4', true, false],
  ];
  for (const [a, b, aHasB, bHasA] of cases) {
    test(`${a} / ${b}`, () => {
      const ra = parseIpOrRange(a);
      const rb = parseIpOrRange(b);
      assert.equal(rangeContains(ra, rb), aHasB, `${a} contains ${b}`);
      assert.equal(rangeContains(rb, ra), bHasA, `${b} contains ${a}`);
      assert.equal(rangesNest(ra, rb), aHasB || bHasA);
      assert.equal(rangesNest(rb, ra), aHasB || bHasA);
    });
  }

  test('overlapping ranges that do not nest', () => {
    const a: IpRange = { size: 4, start: 0n, end: 10n, prefix: 28 };
    const b: IpRange = { size: 4, start: 5n, end: 20n, prefix: 27 };
    assert.equal(rangeContains(a, b), false);
    assert.equal(rangeContains(b, a), false);
    assert.equal(rangesNest(a, b), false);
  });
});

describe('boundHex', () => {
  test('fixed width, lower case', () => {
    assert.equal(boundHex(4, 0n), '00000000');
    assert.equal(boundHex(4, 0x0a000001n), '0a000001');
    assert.equal(boundHex(4, 0xffffffffn), 'ffffffff');
    assert.equal(boundHex(16, 1n), `${'0'.repeat(31)}1`);
    assert.equal(boundHex(16, V6_MAX), 'f'.repeat(32));
    assert.equal(boundHex(16, parseIpOrRange('2001:db8::/32').start), `20010db8${'0'.repeat(24)}`);
  });

  const orderings: [4 | 16, string[]][] = [
    [4, ['0.0.0.0', '0.0.0.1', '0.0.0.9', '0.0.0.10', '0.0.1.0', '9.255.255.255', '10.0.0.0', '127.0.0.1', '160.0.0.0', '255.255.255.255']],
    [
      16,
      [
        '::',
        '::1',
        '::a',
        '::10',
        '::ffff:ffff:ffff',
        '1::',
        '9::',
        'a::',
        '2001:db8::',
        '2001:db8::1',
        'fe80::1',
        'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      ],
    ],
  ];
  for (const [size, sorted] of orderings) {
    test(`IPv${size === 4 ? 4 : 6} strings sort like the numbers`, () => {
      const values = sorted.map((ip) => parseIpOrRange(ip).start);
      for (let i = 1; i < values.length; i++) assert.ok(values[i - 1]! < values[i]!, `${sorted[i - 1]} < ${sorted[i]}`);
      const hex = values.map((v) => boundHex(size, v));
      for (const h of hex) assert.match(h, size === 4 ? /^[0-9a-f]{8}$/ : /^[0-9a-f]{32}$/);
      assert.deepEqual([...hex].reverse().sort(), hex);
    });
  }
});

describe('formatRange and formatAddress', () => {
  const cases: [string, string][] = [
    ['1.2.3.4', '1.2.3.4'],
    ['10.1.2.3/24', '10.1.2.0/24'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['1.2.3.4/32', '1.2.3.4'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.0/120', '192.0.2.0/24'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['0001:0db8::0001', '1:db8::1'],
    ['2001:db8::/109', '2001:db8::/109'],
    ['2001:db8::1/64', '2001:db8::/64'],
    ['2001:db8::1/128', '2001:db8::1'],
    ['::/0', '::/0'],
    ['::', '::'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'], // the longest run of zeros
    ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'], // the first of equal runs
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'], // a single zero group stays
    ['::1.2.3.4', '::102:304'],
  ];
  for (const [input, text] of cases) {
    test(`${input} → ${text}`, () => {
      const r = parseIpOrRange(input);
      assert.equal(formatRange(r), text);
      assert.deepEqual(parseIpOrRange(text), r);
    });
  }

  test('formatAddress', () => {
    assert.equal(formatAddress(4, 0xc0000201n), '192.0.2.1');
    assert.equal(formatAddress(16, 0x20010db8000000000000000000000001n), '2001:db8::1');
    assert.equal(formatAddress(16, V6_MAX), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  });
});
