import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregateBouncerUsage, formatUsageNumber, type UsageWindowsOf } from '../../src/domain/usage-metrics.js';

const push = (sender: string, at: number, items: UsageWindowsOf['metrics'][number]['items'], type?: string): UsageWindowsOf => ({
  sender,
  type,
  metrics: [{ meta: { utc_now_timestamp: at }, items }],
});

test('bouncer usage: counters summed, gauges the latest per label set, repeats once, other labels summed over', () => {
  const got = aggregateBouncerUsage([
    push(
      'b',
      200,
      [
        { name: 'active_decisions', unit: 'ip', value: 5, labels: { origin: 'CAPI', ip_type: 'ipv4' } },
        { name: 'dropped', unit: 'byte', value: 10, labels: { origin: 'CAPI', ip_type: 'ipv4' } },
        { name: 'hits_gauge', unit: 'request', value: 1 },
      ],
      'fw-v2',
    ),
    push('a', 100, [{ name: 'processed', unit: 'request', value: 3 }], 'node'),
    push(
      'b',
      100,
      [
        { name: 'active_decisions', unit: 'ip', value: 9, labels: { origin: 'CAPI', ip_type: 'ipv4' } },
        { name: 'active_decisions', unit: 'ip', value: 1, labels: { origin: 'cscli', ip_type: 'ipv4' } },
        { name: 'dropped', unit: 'byte', value: 10, labels: { origin: 'CAPI', ip_type: 'ipv4' } },
        { name: 'hits_gauge', unit: 'request', value: 4 },
      ],
      'fw-v1',
    ),
    // the same window sent again: counted once
    push('b', 200, [{ name: 'dropped', unit: 'byte', value: 10, labels: { origin: 'CAPI', ip_type: 'ipv4' } }], 'fw-v2'),
    // labels Lapis does not keep (a custom one) are summed over, within one window too for gauges
    push('c', 100, [
      { name: 'active_decisions', unit: 'ip', value: 2, labels: { origin: 'x', zone: 'eu' } },
      { name: 'active_decisions', unit: 'ip', value: 3, labels: { origin: 'x', zone: 'us' } },
      { name: 'dropped', unit: 'request', value: 1, labels: { origin: 'x', remediation: 'ban', zone: 'eu' } },
      { name: 'dropped', unit: 'request', value: 1, labels: { origin: 'x', remediation: 'ban', zone: 'us' } },
    ]),
  ]);
  const s = (name: string, unit: string, origin: string, remediation: string, ipType: string, value: number, gauge = false) => ({
    name,
    unit,
    origin,
    remediation,
    ipType,
    value,
    gauge,
  });
  assert.deepEqual(got, [
    { bouncer: 'a', type: 'node', since: 100, series: [s('processed', 'request', '', '', '', 3)] },
    {
      bouncer: 'b',
      type: 'fw-v2',
      since: 100,
      series: [
        s('active_decisions', 'ip', 'CAPI', '', 'ipv4', 5, true),
        s('active_decisions', 'ip', 'cscli', '', 'ipv4', 1, true),
        s('dropped', 'byte', 'CAPI', '', 'ipv4', 20),
        s('hits_gauge', 'request', '', '', '', 1, true),
      ],
    },
    {
      bouncer: 'c',
      type: '',
      since: 100,
      series: [s('active_decisions', 'ip', 'x', '', '', 5, true), s('dropped', 'request', 'x', 'ban', '', 2)],
    },
  ]);
});

test("formatUsageNumber is cscli's formatNumber", () => {
  const cases: [number, string, string][] = [
    [0, '0', '0'],
    [999, '999', '999'],
    [1000, '1.00k', '1000'],
    [1524, '1.52k', '1524'],
    [1525.9, '1.53k', '1525'],
    [3030000, '3.03M', '3030000'],
    [2e9, '2.00G', '2000000000'],
  ];
  for (const [n, units, plain] of cases) {
    assert.equal(formatUsageNumber(n), units, String(n));
    assert.equal(formatUsageNumber(n, false), plain, String(n));
  }
});
