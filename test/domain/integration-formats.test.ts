import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  integrationLine,
  isOutputFormat,
  OUTPUT_FORMATS,
  type OutputFormat,
  routerOsString,
} from '../../src/domain/integration-formats.js';
import { parseIpOrRange } from '../../src/domain/ip-range.js';
import { InvalidValueError } from '../../src/errors.js';

const V4 = '192.168.38.187';
const V4R = '10.0.0.0/24';
const V6 = '2001:db8:85a3::1';
const V6R = '2001:db8::/32';
const line = (format: OutputFormat, value: string, position = 1, name = 'myf5Integration') =>
  integrationLine(format, parseIpOrRange(value), position, name);

describe('integrationLine', () => {
  const plain = ['plain_text', 'fortigate', 'paloalto', 'cisco', 'juniper', 'pfsense', 'opnsense', 'sophos'] as const;
  for (const f of plain) {
    test(`${f}: the value alone, a single address without /32 or /128`, () => {
      assert.deepEqual(
        [V4, V4R, V6, V6R, '::ffff:1.2.3.4'].map((v) => line(f, v)),
        ['192.168.38.187', '10.0.0.0/24', '2001:db8:85a3::1', '2001:db8::/32', '1.2.3.4'],
      );
    });
  }

  test("f5: IP,mask,BL,crowdsec-<name> (the console's example for IPv4)", () => {
    assert.equal(line('f5', V4), '192.168.38.187,32,BL,crowdsec-myf5Integration');
    assert.equal(line('f5', V4R), '10.0.0.0,24,BL,crowdsec-myf5Integration');
    assert.equal(line('f5', V6), '2001:db8:85a3::1,128,BL,crowdsec-myf5Integration');
    assert.equal(line('f5', V6R), '2001:db8::,32,BL,crowdsec-myf5Integration');
  });

  test('checkpoint: crowdsec-<position>, IP or IP Range (first-last), high,high,AB, crowdsec <name>', () => {
    assert.equal(line('checkpoint', V4, 1, 'cp'), 'crowdsec-1,192.168.38.187,IP,high,high,AB,crowdsec cp');
    assert.equal(line('checkpoint', V4R, 2, 'cp'), 'crowdsec-2,10.0.0.0-10.0.0.255,IP Range,high,high,AB,crowdsec cp');
    assert.equal(line('checkpoint', V6, 3, 'cp'), 'crowdsec-3,2001:db8:85a3::1,IP,high,high,AB,crowdsec cp');
    assert.equal(
      line('checkpoint', V6R, 40000, 'cp'),
      'crowdsec-40000,2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,IP Range,high,high,AB,crowdsec cp',
    );
  });

  test('mikrotik: /ip for IPv4, /ipv6 for IPv6, comment crowdsec/<name>', () => {
    assert.equal(
      line('mikrotik', '1.2.3.4', 1, 'mikrotik'),
      '/ip firewall address-list add list=crowdsec-integration address=1.2.3.4 comment="crowdsec/mikrotik" timeout=48h;',
    );
    assert.equal(
      line('mikrotik', V4R, 1, 'Mikrotik Integration'),
      '/ip firewall address-list add list=crowdsec-integration address=10.0.0.0/24 comment="crowdsec/Mikrotik Integration" timeout=48h;',
    );
    assert.equal(
      line('mikrotik', '2001:0db8:85a3::', 1, 'mikrotik'),
      '/ipv6 firewall address-list add list=crowdsec-integration address=2001:db8:85a3:: comment="crowdsec/mikrotik" timeout=48h;',
    );
    assert.equal(
      line('mikrotik', V6R, 1, 'mikrotik'),
      '/ipv6 firewall address-list add list=crowdsec-integration address=2001:db8::/32 comment="crowdsec/mikrotik" timeout=48h;',
    );
  });

  test('mikrotik: a name cannot leave its string', () => {
    assert.equal(
      line('mikrotik', '1.2.3.4', 1, 'a"; /system reset-configuration; :put "$x\\?'),
      '/ip firewall address-list add list=crowdsec-integration address=1.2.3.4 comment="crowdsec/a\\"; /system reset-configuration; :put \\"\\$x\\\\\\?" timeout=48h;',
    );
    assert.equal(routerOsString('a\nb\rc\td\x01e\x7f'), 'a\\nb\\rc\\td\\01e\\7F');
  });

  test('f5 and checkpoint: a name cannot add a field or a line', () => {
    assert.equal(line('f5', V4, 1, 'a,b\nc"d'), '192.168.38.187,32,BL,crowdsec-a_b_c_d');
    assert.equal(line('checkpoint', V4, 1, 'x,1.1.1.1,IP\r\n'), 'crowdsec-1,192.168.38.187,IP,high,high,AB,crowdsec x_1.1.1.1_IP__');
  });

  test('remediation_component has no line format; an unknown format is refused', () => {
    assert.throws(() => line('remediation_component', V4), {
      name: 'InvalidValueError',
      message: "output_format 'remediation_component' has no line format: it is served as a decision stream",
      field: 'output_format',
    });
    assert.throws(
      () => line('csv' as OutputFormat, V4),
      (e: unknown) => e instanceof InvalidValueError && e.message === "output_format 'csv' is unknown",
    );
  });
});

test('OUTPUT_FORMATS: the twelve of the Service API, and isOutputFormat', () => {
  assert.equal(OUTPUT_FORMATS.length, 12);
  assert.equal(new Set(OUTPUT_FORMATS).size, 12);
  assert.ok(isOutputFormat('mikrotik'));
  assert.ok(!isOutputFormat('Mikrotik'));
  assert.ok(!isOutputFormat(''));
});
