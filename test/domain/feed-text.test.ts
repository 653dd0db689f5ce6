import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { formatRange, parseIpOrRange } from '../../src/domain/ip-range.js';
import { garbageMessage, isGarbage, normaliseFeedValue, parseFeedText } from '../../src/domain/feed-text.js';

// Samples written for these tests in the shape of the public feeds (addresses from documentation ranges).
const FIREHOL_LIKE = `#
# firehol_level1-like
#
# ipv4 hash:net ipset
#
# Maintainer      : Example
# Source File Date: Thu Jan  1 00:00:00 UTC 2026
#
0.0.0.0/8
1.10.16.0/20
192.0.2.0/24
198.51.100.7
203.0.113.0/25
`;

const SPAMHAUS_LIKE = `; Spamhaus-DROP-like list
; Last-Modified: Thu, 01 Jan 2026 00:00:00 GMT
; Expires: Thu, 01 Jan 2026 01:00:00 GMT
1.10.16.0/20 ; SBL256894
1.19.0.0/16 ; SBL434604
2.56.192.0/22 ; SBL459831
`;

const HTML = `<!DOCTYPE html>
<html lang="en">
<head><title>503 Service Unavailable</title></head>
<body>
<h1>Service Unavailable</h1>
<p>Please try again later.</p>
</body>
</html>
`;

describe('parseFeedText', () => {
  test('FireHOL-like: comments skipped, bare CIDRs and addresses kept in order', () => {
    const r = parseFeedText(FIREHOL_LIKE);
    assert.deepEqual(r.values, ['0.0.0.0/8', '1.10.16.0/20', '192.0.2.0/24', '198.51.100.7', '203.0.113.0/25']);
    assert.deepEqual(r.invalid, []);
    assert.equal(r.lines, 5);
    assert.equal(isGarbage(r), false);
  });

  test('Spamhaus-DROP-like: `;` comments and inline `; SBL…` references', () => {
    const r = parseFeedText(SPAMHAUS_LIKE);
    assert.deepEqual(r.values, ['1.10.16.0/20', '1.19.0.0/16', '2.56.192.0/22']);
    assert.equal(r.lines, 3);
    assert.equal(isGarbage(r), false);
  });

  const lines: [string, string, string[]][] = [
    ['tab then #', '1.2.3.4\t# scanner', ['1.2.3.4']],
    ['# right after the value', '1.2.3.4#x', ['1.2.3.4']],
    ['; right after the value', '1.2.3.4;x', ['1.2.3.4']],
    ['anything after a space', '1.2.3.4 some words', ['1.2.3.4']],
    ['leading whitespace', '   \t1.2.3.4', ['1.2.3.4']],
    ['indented comment', '   # 9.9.9.9', []],
    ['indented ; comment', '\t; 9.9.9.9', []],
    ['CRLF', '1.2.3.4\r\n5.6.7.0/24\r\n# c\r\n', ['1.2.3.4', '5.6.7.0/24']],
    ['a BOM', '\ufeff1.2.3.4\n', ['1.2.3.4']],
    ['a BOM before a comment', '\ufeff# list\n1.2.3.4', ['1.2.3.4']],
    ['no final newline', '1.2.3.4\n5.6.7.8', ['1.2.3.4', '5.6.7.8']],
    ['host bits masked', '10.1.2.3/8', ['10.0.0.0/8']],
    ['/32 prints as the address', '10.1.2.3/32', ['10.1.2.3']],
    ['/0', '10.1.2.3/0', ['0.0.0.0/0']],
    ['a leading-zero prefix, as Go reads it', '10.1.2.3/08', ['10.0.0.0/8']],
    ['IPv6 address', '2001:DB8::1', ['2001:db8::1']],
    ['IPv6 CIDR masked', '2001:db8::1/32 ; doc', ['2001:db8::/32']],
    ['IPv6 /128', '2001:db8::1/128', ['2001:db8::1']],
    ['IPv4-mapped IPv6 is IPv4', '::ffff:192.0.2.1', ['192.0.2.1']],
    ['duplicates kept once', '1.2.3.4\n1.2.3.4/32\n1.2.3.4', ['1.2.3.4']],
  ];
  for (const [name, text, want] of lines) {
    test(name, () => {
      const r = parseFeedText(text);
      assert.deepEqual(r.values, want);
      assert.deepEqual(r.invalid, []);
    });
  }

  test('invalid lines: 1-based line numbers, text without the trailing CR', () => {
    const r = parseFeedText('# h\n1.2.3.4\n01.2.3.4\r\n1.2.3.4/33\n1.2.3.4-1.2.3.9\n\n300.1.1.1 ; x\n');
    assert.deepEqual(r.values, ['1.2.3.4']);
    assert.deepEqual(r.invalid, [
      { line: 3, text: '01.2.3.4' },
      { line: 4, text: '1.2.3.4/33' },
      { line: 5, text: '1.2.3.4-1.2.3.9' },
      { line: 7, text: '300.1.1.1 ; x' },
    ]);
    assert.equal(r.lines, 5);
  });

  test('an invalid line is cut to 100 characters', () => {
    const r = parseFeedText('x'.repeat(500));
    assert.equal(r.invalid[0]!.text.length, 100);
  });

  test('maxEntries: parsing stops at one value past the cap', () => {
    const text = Array.from({ length: 50 }, (_, i) => `10.0.0.${i}`).join('\n');
    const r = parseFeedText(text, { maxEntries: 10 });
    assert.equal(r.values.length, 11);
    assert.equal(r.lines, 11);
    assert.equal(parseFeedText(text, { maxEntries: 50 }).values.length, 50);
  });

  test('the IPv4 fast path agrees with formatRange(parseIpOrRange(v))', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const v4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
    const value = fc.oneof(
      v4,
      fc.tuple(v4, fc.integer({ min: 0, max: 40 })).map(([a, p]) => `${a}/${p}`),
    );
    fc.assert(
      fc.property(value, (v) => {
        let want: string | null;
        try {
          want = formatRange(parseIpOrRange(v));
        } catch {
          want = null;
        }
        assert.equal(normaliseFeedValue(v), want);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('isGarbage', () => {
  test('an HTML error page is garbage, and says so', () => {
    const r = parseFeedText(HTML);
    assert.equal(r.values.length, 0);
    assert.equal(isGarbage(r), true);
    assert.equal(garbageMessage(r), "feed returned no valid IP or CIDR (8 of 8 lines invalid, first at line 1: '<!DOCTYPE html>')");
  });

  test('binary junk is garbage, its message one printable line', () => {
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
    const r = parseFeedText(new TextDecoder().decode(bytes));
    assert.equal(isGarbage(r), true);
    const msg = garbageMessage(r);
    assert.match(msg, /^feed returned no valid IP or CIDR \(\d+ of \d+ lines invalid, first at line 1: '/);
    assert.doesNotMatch(msg, /[\u0000-\u001f\ufffd]/);
  });

  test('a feed of comments only is valid and empty', () => {
    const r = parseFeedText('# nothing listed today\n; really\n\n');
    assert.deepEqual(r, { values: [], invalid: [], lines: 0 });
    assert.equal(isGarbage(r), false);
  });

  test('a few odd lines are not garbage; more than half are', () => {
    const good = Array.from({ length: 10 }, (_, i) => `192.0.2.${i}`);
    assert.equal(isGarbage(parseFeedText([...good, 'odd', 'lines', 'here'].join('\n'))), false);
    const half = parseFeedText([...good.slice(0, 5), 'a', 'b', 'c', 'd', 'e'].join('\n'));
    assert.equal(isGarbage(half), false);
    const most = parseFeedText([...good.slice(0, 4), 'a', 'b', 'c', 'd', 'e'].join('\n'));
    assert.equal(isGarbage(most), true);
    assert.equal(garbageMessage(most), "feed is mostly not IPs or CIDRs (5 of 9 lines invalid, first at line 5: 'a')");
  });
});
