import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  aggregateMirrorDecisions,
  formatMirror,
  isMirrorFormat,
  type MirrorDecision,
  type MirrorFormat,
  mirrorRegistry,
  parseMirrorQuery,
  selectMirrorDecisions,
} from '../../src/domain/mirror-formats.js';

const dec = (value: string, scenario: string, o: Partial<MirrorDecision> = {}): MirrorDecision => ({
  value,
  scope: value.includes('/') ? 'Range' : 'Ip',
  type: 'ban',
  origin: 'crowdsec',
  scenario,
  duration: '4h',
  ...o,
});

/** §6.4's four decisions, in the order a stream could bring them. */
const FOUR = [
  dec('1.2.3.4', 'crowdsecurity/ssh-bf'),
  dec('5.6.7.8', 'crowdsecurity/ssh-bf'),
  dec('10.0.0.0/24', "manual 'ban' from 'm1'", { origin: 'cscli' }),
  dec('2001:db8::1', 'crowdsecurity/http-probing'),
];

const query = (qs = '') => parseMirrorQuery(new URLSearchParams(qs));
const serve = (format: MirrorFormat, decisions: MirrorDecision[], qs = '', types: string[] = []) => {
  const q = query(qs);
  return formatMirror(format, selectMirrorDecisions(mirrorRegistry(decisions), q, types), q);
};

describe("§6.4's examples, byte for byte", () => {
  test('plain_text', () => assert.equal(serve('plain_text', FOUR), '1.2.3.4\n10.0.0.0/24\n2001:db8::1\n5.6.7.8\n'));
  test('f5: lower-case bl, the category after the first /, IPv6 mask 64', () =>
    assert.equal(
      serve('f5', FOUR),
      "1.2.3.4,32,bl,ssh-bf\n10.0.0.0,24,bl,manual 'ban' from 'm1'\n2001:db8::1,64,bl,http-probing\n5.6.7.8,32,bl,ssh-bf\n",
    ));
  test('juniper', () => assert.equal(serve('juniper', FOUR), '1.2.3.4/32\n10.0.0.0/24\n2001:db8::1/128\n5.6.7.8/32\n'));

  const MIKROTIK = [
    dec('1.2.3.4', 'crowdsecurity/ssh-bf', { duration: '3h59m58.123s' }),
    dec('2001:db8::1', 'crowdsecurity/http-probing', { duration: '1h2m3s' }),
  ];
  const V4_BLOCK = [
    '',
    '/ip/firewall/address-list/remove [ find where list="CrowdSec" ];',
    ':global CrowdSecAddIP;',
    ':set CrowdSecAddIP do={',
    '    :do { /ip/firewall/address-list/add list=CrowdSec address=$1 comment="$2" timeout=$3; } on-error={ }',
    '}',
  ];
  const V6_BLOCK = [
    '',
    '/ipv6/firewall/address-list/remove [ find where list="CrowdSec" ];',
    ':global CrowdSecAddIPv6;',
    ':set CrowdSecAddIPv6 do={',
    '    :do { /ipv6/firewall/address-list/add list=CrowdSec address=$1 comment="$2" timeout=$3; } on-error={ }',
    '}',
  ];
  const CALL4 = '$CrowdSecAddIP "1.2.3.4" "crowdsecurity/ssh-bf" "3h59m58.123s"';
  const CALL6 = '$CrowdSecAddIPv6 "2001:db8::1" "crowdsecurity/http-probing" "1h2m3s"';

  test('mikrotik: the script, from its empty first line to its last line without a line break', () =>
    assert.equal(
      serve('mikrotik', MIKROTIK),
      [...V4_BLOCK, ...V6_BLOCK, CALL4, CALL6, '', ':set CrowdSecAddIP;', ':set CrowdSecAddIPv6;'].join('\n'),
    ));
  test('mikrotik ipv4only: no /ipv6 block, no last line', () =>
    assert.equal(serve('mikrotik', MIKROTIK, 'ipv4only'), [...V4_BLOCK, CALL4, '', ':set CrowdSecAddIP;'].join('\n')));
  test('mikrotik ipv6only: no /ip block, no :set CrowdSecAddIP', () =>
    assert.equal(serve('mikrotik', MIKROTIK, 'ipv6only'), [...V6_BLOCK, CALL6, '', ':set CrowdSecAddIPv6;'].join('\n')));
  test('mikrotik listname=', () => {
    const body = serve('mikrotik', MIKROTIK, 'listname=blocked_v2');
    assert.ok(body.includes('[ find where list="blocked_v2" ]'));
    assert.ok(body.includes('add list=blocked_v2 address=$1'));
    assert.ok(!body.includes('CrowdSec"'));
    assert.equal(serve('mikrotik', MIKROTIK, 'listname='), serve('mikrotik', MIKROTIK));
  });
  test('mikrotik: a scenario cannot end its string', () =>
    assert.ok(
      serve('mikrotik', [dec('1.2.3.4', 'x" ; /system reboot ; "$y')]).includes(
        '$CrowdSecAddIP "1.2.3.4" "x\\" ; /system reboot ; \\"\\$y" "4h"\n',
      ),
    ));
});

describe('formats: scopes and edge values', () => {
  const others = [dec('FR', 'crowdsecurity/geo', { scope: 'Country' }), dec('1.2.3.4', 'ssh-bf', { scope: 'ip' })];
  test('plain_text prints any scope', () => assert.equal(serve('plain_text', others), '1.2.3.4\nFR\n'));
  test('f5 and juniper skip scopes that are not ip or range; a scenario without / is the category', () => {
    assert.equal(serve('f5', others), '1.2.3.4,32,bl,ssh-bf\n');
    assert.equal(serve('juniper', others), '1.2.3.4/32\n');
  });
  test('f5: the category is the second /-separated part only', () =>
    assert.equal(serve('f5', [dec('2001:db8::/48', 'a/b/c')]), '2001:db8::,48,bl,b\n'));
});

describe('selection (§6.3)', () => {
  test('keyed by value: a later decision replaces an earlier one, whatever its type', () => {
    const reg = mirrorRegistry([dec('1.2.3.4', 'a', { type: 'ban' }), dec('1.2.3.4', 'b', { type: 'captcha' })]);
    assert.deepEqual(reg, [dec('1.2.3.4', 'b', { type: 'captcha' })]);
  });
  test('ipv4only drops values with :, ipv6only values with . (a mapped address passes both)', () => {
    const list = [...FOUR, dec('::ffff:1.2.3.4', 'x')];
    assert.equal(serve('plain_text', list, 'ipv4only'), '1.2.3.4\n10.0.0.0/24\n5.6.7.8\n');
    assert.equal(serve('plain_text', list, 'ipv6only='), '2001:db8::1\n');
    assert.equal(serve('plain_text', [dec('::ffff:1.2.3.4', 'x')], 'ipv4only'), '');
  });
  test('origin= without case; present and empty matches nothing here', () => {
    assert.equal(serve('plain_text', FOUR, 'origin=CSCLI'), '10.0.0.0/24\n');
    assert.equal(serve('plain_text', FOUR, 'origin=crowdsec'), '1.2.3.4\n2001:db8::1\n5.6.7.8\n');
    assert.equal(serve('plain_text', FOUR, 'origin='), '');
  });
  test('supported_decisions_types: configured, overridden by the query (comma list or repeated), without case', () => {
    const list = [
      dec('1.1.1.1', 's', { type: 'ban' }),
      dec('2.2.2.2', 's', { type: 'Captcha' }),
      dec('3.3.3.3', 's', { type: 'throttle' }),
    ];
    assert.equal(serve('plain_text', list, '', []), '1.1.1.1\n2.2.2.2\n3.3.3.3\n');
    assert.equal(serve('plain_text', list, '', ['BAN']), '1.1.1.1\n');
    assert.equal(serve('plain_text', list, 'supported_decisions_types=captcha,throttle', ['ban']), '2.2.2.2\n3.3.3.3\n');
    assert.equal(
      serve('plain_text', list, 'supported_decisions_types=captcha&supported_decisions_types=ban', ['throttle']),
      '1.1.1.1\n2.2.2.2\n',
    );
    // given but empty: every type
    assert.equal(serve('plain_text', list, 'supported_decisions_types=', ['ban']), '1.1.1.1\n2.2.2.2\n3.3.3.3\n');
  });
  test('sorted as plain strings unless nosort, which keeps the registry order', () => {
    assert.equal(serve('plain_text', [dec('9.9.9.9', 's'), dec('10.0.0.1', 's'), dec('1.0.0.0', 's')]), '1.0.0.0\n10.0.0.1\n9.9.9.9\n');
    assert.equal(serve('plain_text', FOUR, 'nosort'), '1.2.3.4\n5.6.7.8\n10.0.0.0/24\n2001:db8::1\n');
  });
  test('nothing selected is an empty list (the listener answers 404)', () => assert.deepEqual(selectMirrorDecisions([], query(), []), []));
});

describe('aggregate', () => {
  const list = [
    dec('1.2.3.5', 's', { type: 'captcha', origin: 'cscli' }),
    dec('1.2.3.4', 's'),
    dec('10.0.0.0/25', 's'),
    dec('10.0.0.128/25', 's'),
    dec('10.0.0.7', 's'),
    dec('2001:db8::1', 's'),
    dec('FR', 's', { scope: 'Country' }),
  ];
  const agg = (qs = '') => {
    const q = query(qs);
    return aggregateMirrorDecisions(mirrorRegistry(list), q);
  };
  test('minimal CIDRs as range decisions, scenario aggregated, 24h; type and origin do not apply; sorted as strings', () => {
    assert.deepEqual(
      agg('origin=nobody').map((d) => d.value),
      ['1.2.3.4/31', '10.0.0.0/24', '2001:db8::1/128'],
    );
    assert.deepEqual(agg()[0], { value: '1.2.3.4/31', scope: 'range', type: 'ban', origin: '', scenario: 'aggregated', duration: '24h' });
  });
  test('family flags and nosort apply', () => {
    assert.deepEqual(
      agg('ipv6only').map((d) => d.value),
      ['2001:db8::1/128'],
    );
    assert.deepEqual(
      agg('ipv4only&nosort').map((d) => d.value),
      ['1.2.3.4/31', '10.0.0.0/24'],
    );
  });
  test('formats on the aggregated view', () => {
    const q = query();
    const view = aggregateMirrorDecisions(mirrorRegistry([dec('1.2.3.4', 's'), dec('2001:db8::1', 's')]), q);
    assert.equal(formatMirror('f5', view, q), '1.2.3.4,32,bl,aggregated\n2001:db8::1,128,bl,aggregated\n');
    assert.equal(formatMirror('juniper', view, q), '1.2.3.4/32\n2001:db8::1/128\n');
    assert.equal(formatMirror('plain_text', view, q), '1.2.3.4/32\n2001:db8::1/128\n');
  });
});

describe('parseMirrorQuery', () => {
  test('flags by presence, defaults', () => {
    assert.deepEqual(query(), {
      ipv4only: false,
      ipv6only: false,
      origin: undefined,
      types: undefined,
      nosort: false,
      listname: 'CrowdSec',
    });
    assert.deepEqual(query('ipv4only=0&ipv6only&nosort=false&origin=CAPI&listname=x'), {
      ipv4only: true,
      ipv6only: true,
      origin: 'CAPI',
      types: undefined,
      nosort: true,
      listname: 'x',
    });
  });
  for (const bad of ['a b', 'x"', 'a;b', 'a$b', 'a\nb', 'lïst', 'a]b'])
    test(`listname ${JSON.stringify(bad)} is refused`, () =>
      assert.throws(() => query(`listname=${encodeURIComponent(bad)}`), { name: 'InvalidValueError', field: 'listname' }));
  test('isMirrorFormat', () => {
    assert.ok(isMirrorFormat('juniper'));
    assert.ok(!isMirrorFormat('checkpoint'));
  });
});
