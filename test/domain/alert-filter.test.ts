import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAlertFilter } from '../../src/domain/alert-filter.js';
import { parseIpOrRange } from '../../src/domain/ip-range.js';

const NOW = 1_800_000_000_000;
const DEFAULTS = { contains: true, limit: 100, sort: 'DESC', withDecisions: true };

const cases: [string, Record<string, string | string[]>, object][] = [
  ['nothing: the defaults', {}, DEFAULTS],
  ['scope ip and range are canonical, others kept', { scope: 'IP' }, { ...DEFAULTS, scope: 'Ip' }],
  ['scope range', { scope: 'range' }, { ...DEFAULTS, scope: 'Range' }],
  ['scope username', { scope: 'username' }, { ...DEFAULTS, scope: 'username' }],
  ['an empty value is a value', { value: '' }, { ...DEFAULTS, value: '' }],
  ['an empty parameter otherwise is none', { scenario: '', limit: '' }, DEFAULTS],
  ['ip and contains', { ip: '192.0.2.1', contains: 'false' }, { ...DEFAULTS, range: parseIpOrRange('192.0.2.1'), contains: false }],
  [
    'since and until: relative to now',
    { since: '1h', until: '1m30s' },
    { ...DEFAULTS, startedAfter: NOW - 3600_000, startedBefore: NOW - 90_000 },
  ],
  ['created_before, rounded to the millisecond', { created_before: '1500us' }, { ...DEFAULTS, createdBefore: NOW - 1 }],
  ['origin brings CAPI alerts back', { origin: 'CAPI', include_capi: 'false' }, { ...DEFAULTS, origin: 'CAPI', includeCapi: true }],
  ['include_capi=false', { include_capi: 'false' }, { ...DEFAULTS, includeCapi: false }],
  ['has_active_decision', { has_active_decision: '1' }, { ...DEFAULTS, hasActiveDecision: true }],
  ['simulated=false', { simulated: 'false' }, { ...DEFAULTS, simulated: false }],
  [
    'limit 0 (no limit), sort, with_decisions',
    { limit: '0', sort: 'ASC', with_decisions: 'false' },
    { ...DEFAULTS, limit: 0, sort: 'ASC', withDecisions: false },
  ],
  ['the last of a repeated parameter', { limit: ['5', '7'] }, { ...DEFAULTS, limit: 7 }],
];
for (const [what, q, want] of cases) test(`parseAlertFilter: ${what}`, () => assert.deepEqual(parseAlertFilter(q, NOW), want));

const errors: [Record<string, string>, string][] = [
  [{ foo: 'bar' }, "filter parameter 'foo' is unknown (=bar)"],
  [{ since: 'soon' }, 'since: while parsing duration: time: invalid duration "soon"'],
  [{ include_capi: 'no' }, "include_capi: invalid boolean 'no'"],
  [{ has_active_decision: 'maybe' }, "has_active_decision: invalid boolean 'maybe'"],
  [{ limit: '-1' }, "limit: invalid integer '-1'"],
  [{ limit: '2147483648' }, "limit: must be an integer between 0 and 2147483647, got '2147483648'"],
  [{ sort: 'asc' }, "sort: must be ASC or DESC, got 'asc'"],
  [{ ip: 'nope' }, "ip: invalid ip address 'nope'"],
];
for (const [q, message] of errors)
  test(`parseAlertFilter 400: ${message}`, () => assert.throws(() => parseAlertFilter(q, NOW), { message }));
