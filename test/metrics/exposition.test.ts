import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { parseExposition } from '../../src/metrics/exposition.js';

test('parseExposition reads what prom-client writes: escapes, histograms, types', async () => {
  const registry = new Registry();
  const c = new Counter({ name: 'cs_lapi_route_requests_total', help: 'h', labelNames: ['route', 'method'], registers: [registry] });
  c.inc({ route: '/v1/decisions', method: 'GET' }, 3);
  const g = new Gauge({ name: 'cs_alerts', help: 'h', labelNames: ['reason'], registers: [registry] });
  g.set({ reason: 'a "quoted"\\ reason\nwith a newline, and {braces}' }, 2);
  const h = new Histogram({ name: 'd_seconds', help: 'h', buckets: [0.5], registers: [registry] });
  h.observe(0.1);
  const { samples, types } = parseExposition(await registry.metrics());
  assert.deepEqual(samples, [
    { name: 'cs_lapi_route_requests_total', labels: { route: '/v1/decisions', method: 'GET' }, value: 3 },
    { name: 'cs_alerts', labels: { reason: 'a "quoted"\\ reason\nwith a newline, and {braces}' }, value: 2 },
    { name: 'd_seconds_bucket', labels: { le: '0.5' }, value: 1 },
    { name: 'd_seconds_bucket', labels: { le: '+Inf' }, value: 1 },
    { name: 'd_seconds_sum', labels: {}, value: 0.1 },
    { name: 'd_seconds_count', labels: {}, value: 1 },
  ]);
  assert.deepEqual(
    [...types],
    [
      ['cs_lapi_route_requests_total', 'counter'],
      ['cs_alerts', 'gauge'],
      ['d_seconds', 'histogram'],
    ],
  );
});

test('parseExposition: values, timestamps, spacing, and the lines it refuses', () => {
  const ok: [string, number][] = [
    ['m 1', 1],
    ['m{} -2.5e3', -2500],
    ['m{a="b",} 7 1700000000000', 7],
    ['m { a = "b" } +Inf', Number.POSITIVE_INFINITY],
    ['m -Inf', Number.NEGATIVE_INFINITY],
    ['m .5', 0.5],
  ];
  for (const [line, value] of ok) assert.equal(parseExposition(`# comment\n\n${line}\n`).samples[0]?.value, value, line);
  assert.ok(Number.isNaN(parseExposition('m NaN').samples[0]?.value));
  const bad: [string, string][] = [
    ['m', 'line 1: expected a value and an optional timestamp'],
    ['m 0x10', 'line 1: bad value "0x10"'],
    ['m abc', 'line 1: bad value "abc"'],
    ['m{a="b} 1', 'line 1: unterminated value of label a'],
    ['m{a=b} 1', 'line 1: bad label a'],
    ['m{a="b" c="d"} 1', 'line 1: expected , or } after label a'],
    ['# HELP x\n{a="b"} 1', 'line 2: no metric name'],
    ['<html>', 'line 1: no metric name'],
    ['m 1 2 3', 'line 1: expected a value and an optional timestamp'],
  ];
  for (const [text, message] of bad) assert.throws(() => parseExposition(text), { name: 'ExpositionError', message }, text);
});
