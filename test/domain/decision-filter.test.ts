import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Decision } from '../../src/domain/decision.js';
import { matchesFilter, parseDecisionDeleteFilter, parseDecisionFilter } from '../../src/domain/decision-filter.js';
import { parseIpOrRange } from '../../src/domain/ip-range.js';

const D: Decision = {
  id: 1,
  uuid: 'u1',
  alertId: 1,
  seq: 1,
  createdAt: 0,
  until: 1,
  scenario: 'crowdsecurity/SSH-bf',
  type: 'ban',
  scope: 'Range',
  value: '192.0.2.0/24',
  origin: 'crowdsec',
  simulated: false,
  range: parseIpOrRange('192.0.2.0/24'),
};

describe('parseDecisionFilter and matchesFilter', () => {
  const cases: [string, Record<string, string | string[]>, Partial<Decision>, boolean][] = [
    ['no parameter keeps everything', {}, {}, true],
    ['simulated hidden by default', {}, { simulated: true }, false],
    ['simulated=true shows it', { simulated: 'true' }, { simulated: true }, true],
    ['simulated=false hides it', { simulated: 'false' }, { simulated: true }, false],
    ['scopes, normalised', { scopes: 'IP, range' }, {}, true],
    ['scopes leaving it out', { scopes: 'ip' }, {}, false],
    ['scope and scopes: both constrain', { scopes: 'ip,range', scope: 'ip' }, {}, false],
    ['a repeated parameter: the last wins', { type: ['captcha', 'ban'] }, {}, true],
    ['value, exact', { value: '192.0.2.0/24' }, {}, true],
    ['value, another', { value: '192.0.2.1' }, {}, false],
    ['origins', { origins: 'cscli,crowdsec' }, {}, true],
    ['origins leaving it out', { origins: 'cscli' }, {}, false],
    ['scenarios_containing, case-insensitive', { scenarios_containing: 'ssh' }, {}, true],
    ['scenarios_not_containing, case-insensitive', { scenarios_not_containing: 'SSH' }, {}, false],
    ['ip inside the range: contains by default', { ip: '192.0.2.7' }, {}, true],
    ['ip outside', { ip: '192.0.3.7' }, {}, false],
    ['a wider range: not contained', { range: '192.0.0.0/16' }, {}, false],
    ['a wider range, contains=false: inside it', { range: '192.0.0.0/16', contains: 'false' }, {}, true],
    ['contains=F is Go for false', { range: '192.0.0.0/16', contains: 'F' }, {}, true],
    ['ip on a decision without bounds', { ip: '192.0.2.7' }, { scope: 'Username', range: null }, false],
    ['an IPv4-mapped address is its IPv4', { ip: '::ffff:192.0.2.7' }, {}, true],
  ];
  for (const [what, q, d, want] of cases) {
    test(what, () => assert.equal(matchesFilter(parseDecisionFilter(q, ['ip', 'range']), { ...D, ...d }), want));
  }

  const errors: [Record<string, string>, string][] = [
    [{ contains: 'yes' }, "contains: invalid boolean 'yes'"],
    [{ ip: '300.1.1.1' }, "ip: invalid ip address '300.1.1.1'"],
    [{ range: '192.0.2.0/33' }, "range: invalid ip range '192.0.2.0/33': invalid CIDR address: 192.0.2.0/33"],
  ];
  for (const [q, message] of errors) test(`400: ${message}`, () => assert.throws(() => parseDecisionFilter(q), { message }));
});

describe('parseDecisionDeleteFilter', () => {
  const cases: [Record<string, string | string[]>, object][] = [
    [{}, { contains: true }],
    [
      { scopes: 'ip', value: '1.2.3.4', type: 'ban', origin: 'cscli', scenario: 's' },
      { contains: true, scope: 'ip', value: '1.2.3.4', type: 'ban', origin: 'cscli', scenario: 's' },
    ],
    [{ uuid: ['a', 'b'] }, { contains: true, uuids: ['a', 'b'] }],
    [{ uuid: 'a' }, { contains: true, uuids: ['a'] }],
    [{ ip: '', contains: '' }, { contains: true }],
    [
      { range: '10.0.0.0/8', contains: 'false' },
      { contains: false, range: parseIpOrRange('10.0.0.0/8') },
    ],
  ];
  for (const [q, want] of cases) test(JSON.stringify(q), () => assert.deepEqual(parseDecisionDeleteFilter(q), want));
  test('an unknown parameter is refused with upstream’s words', () =>
    assert.throws(() => parseDecisionDeleteFilter({ foo: 'x' }), { message: "'foo' doesn't exist: invalid filter" }));
});
