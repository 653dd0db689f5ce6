import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Decision } from '../../src/domain/decision.js';
import { parseDecisionFilter } from '../../src/domain/decision-filter.js';
import { parseIpOrRange } from '../../src/domain/ip-range.js';
import { RangeSet } from '../../src/domain/range-set.js';
import { DecisionIndex, type StreamDelta, type Visibility } from '../../src/engine/decision-index.js';
import { dec, HOUR, T0 } from '../helpers/index-decisions.js';

function indexOf(list: Decision[], now = T0): DecisionIndex {
  const idx = new DecisionIndex();
  for (const d of list) idx.apply(d, now);
  return idx;
}

const ids = (list: Decision[]) => list.map((d) => d.id);
const idsOf = (out: StreamDelta) => ({ new: ids(out.new), deleted: ids(out.deleted) });
const filter = (q: Record<string, string> = {}) => parseDecisionFilter(q, ['ip', 'range']);
const hiding = (...cidrs: string[]): Visibility => {
  const set = new RangeSet(cidrs.map(parseIpOrRange));
  return { hides: (d) => d.range !== null && set.overlaps(d.range) };
};

describe('DecisionIndex.query', () => {
  const all = [
    dec(1, '192.0.2.1'),
    dec(2, '192.0.2.0/24'),
    dec(3, '10.0.0.0/8'),
    dec(4, '198.51.100.7', { type: 'captcha', origin: 'cscli' }),
    dec(5, '2001:db8::1'),
    dec(6, '2001:db8::/32'),
    dec(7, 'bob', { scope: 'Username' }),
    dec(8, '192.0.2.1', { simulated: true }),
    dec(9, '203.0.113.9', { until: T0 + 1000 }),
    dec(10, '192.0.2.128/25', { scenario: 'crowdsecurity/http-probing' }),
  ];
  const idx = indexOf(all);
  const cases: [string, Record<string, string>, number[]][] = [
    ['everything of the default scopes, ascending id', {}, [1, 2, 3, 4, 5, 6, 9, 10]],
    ['an IP: the decisions containing it', { ip: '192.0.2.1' }, [1, 2]],
    ['an IP in the upper half: the /25 too', { ip: '192.0.2.200' }, [2, 10]],
    ['an IP no decision covers', { ip: '203.0.113.200' }, []],
    ['a range, contains: the decisions containing all of it', { range: '192.0.2.0/25' }, [2]],
    ['a range, contains=false: the decisions inside it', { range: '192.0.2.0/24', contains: 'false' }, [1, 2, 10]],
    ['a wide range, contains=false', { range: '0.0.0.0/0', contains: 'false' }, [1, 2, 3, 4, 9, 10]],
    ['IPv6: an address', { ip: '2001:db8::1' }, [5, 6]],
    ['IPv6: inside a range', { range: '2001:db8::/16', contains: 'false' }, [5, 6]],
    ['an IPv4-mapped IPv6 address is its IPv4', { ip: '::ffff:192.0.2.1' }, [1, 2]],
    ['a value', { value: '192.0.2.1' }, [1]],
    ['a value with simulated', { value: '192.0.2.1', simulated: 'true' }, [1, 8]],
    ['a scope outside the defaults, as written', { scopes: 'Username' }, [7]],
    ['scope and scopes both constrain', { scopes: 'ip,range', scope: 'range' }, [2, 3, 6, 10]],
    ['a type', { type: 'captcha' }, [4]],
    ['origins', { origins: 'cscli,lists' }, [4]],
    ['scenarios_containing', { scenarios_containing: 'PROBING' }, [10]],
    ['scenarios_not_containing', { scenarios_not_containing: 'ssh' }, [10]],
  ];
  for (const [what, q, want] of cases) test(what, () => assert.deepEqual(ids(idx.query(filter(q), T0 + 1)), want));

  test('a decision is served up to and including its `until`, then never again', () => {
    const i = indexOf([dec(1, '192.0.2.1', { until: T0 + 1000 })]);
    assert.deepEqual(ids(i.query(filter(), T0 + 1000)), [1]);
    assert.deepEqual(ids(i.query(filter(), T0 + 1001)), []);
    assert.deepEqual([i.size, i.held], [0, 1]);
  });

  test('a view hides what it covers', () => {
    assert.deepEqual(ids(idx.query(filter({ ip: '192.0.2.1' }), T0 + 1, hiding('192.0.2.1'))), []);
    assert.deepEqual(ids(idx.query(filter({ range: '10.0.0.0/8' }), T0 + 1, hiding('192.0.2.0/24'))), [3]);
  });

  test('a later state of a decision replaces it (a deletion moves `until` back)', () => {
    const i = indexOf([dec(1, '192.0.2.1')]);
    i.apply(dec(1, '192.0.2.1', { seq: 5, until: T0 }), T0 + 1);
    assert.deepEqual(ids(i.query(filter(), T0 + 1)), []);
    assert.deepEqual([i.size, i.held], [0, 1]);
  });
});

describe('DecisionIndex.snapshot', () => {
  test('the best decision per (value, type, scope): the longest, then the newest; nothing deleted', () => {
    const idx = indexOf([
      dec(1, '192.0.2.1', { until: T0 + 2 * HOUR }),
      dec(2, '192.0.2.1'),
      dec(3, '192.0.2.1', { type: 'captcha' }),
      dec(4, '192.0.2.2'),
      dec(5, '192.0.2.2'),
      dec(6, '192.0.2.3', { until: T0 + 10 }),
      dec(7, '192.0.2.4', { simulated: true }),
    ]);
    assert.deepEqual(idsOf(idx.snapshot(filter(), T0 + 100)), { new: [1, 3, 5], deleted: [] });
    assert.deepEqual(idsOf(idx.snapshot(filter({ simulated: 'true' }), T0 + 100)), { new: [1, 3, 5, 7], deleted: [] });
    assert.deepEqual(idsOf(idx.snapshot(filter({ type: 'captcha' }), T0 + 100)), { new: [3], deleted: [] });
    assert.deepEqual(idsOf(idx.snapshot(filter(), T0 + 100, hiding('192.0.2.0/31'))), { new: [5], deleted: [] });
  });
});

describe('DecisionIndex.delta', () => {
  // seq 1-3 served at T0; then 4 and 5 arrive, and 2 is deleted (its `until` moved to the deletion time)
  const build = () => {
    const idx = indexOf([dec(1, '192.0.2.1'), dec(2, '192.0.2.2'), dec(3, '192.0.2.3', { until: T0 + 5000 })]);
    idx.apply(dec(4, '192.0.2.4', { createdAt: T0 + 10 }), T0 + 10);
    idx.apply(dec(5, '192.0.2.1', { createdAt: T0 + 10, until: T0 + 2 * HOUR }), T0 + 10);
    idx.apply(dec(2, '192.0.2.2', { seq: 6, until: T0 + 20 }), T0 + 20);
    return idx;
  };
  const cases: [string, number, number, number, { new: number[]; deleted: number[] }][] = [
    ['nothing since the last change', 6, T0 + 20, T0 + 30, { new: [], deleted: [] }],
    ['new decisions, a longer one for a known key, a deletion', 3, T0, T0 + 30, { new: [4, 5], deleted: [2] }],
    ['after the arrivals: only the deletion', 5, T0 + 10, T0 + 30, { new: [], deleted: [2] }],
    ['a natural expiry is news once, after it happens', 6, T0 + 20, T0 + 5000, { new: [], deleted: [3] }],
    ['the same expiry, served already', 6, T0 + 5000, T0 + 6000, { new: [], deleted: [] }],
  ];
  for (const [what, seq, time, now, want] of cases)
    test(what, () => assert.deepEqual(idsOf(build().delta(filter(), seq, time, now)), want));

  test('dedup: a key that keeps an active decision sends its best one instead of the ended one', () => {
    const idx = indexOf([dec(1, '192.0.2.1', { until: T0 + 1000 }), dec(2, '192.0.2.1', { until: T0 + HOUR })]);
    idx.apply(dec(3, '192.0.2.1', { createdAt: T0 + 10, until: T0 + 2 * HOUR }), T0 + 10);
    assert.deepEqual(idsOf(idx.delta(filter(), 2, T0, T0 + 2000)), { new: [3], deleted: [] });
    // both ended: each goes in deleted, once
    const gone = indexOf([dec(1, '192.0.2.1', { until: T0 + 1000 }), dec(2, '192.0.2.1', { until: T0 + 1500 })]);
    assert.deepEqual(idsOf(gone.delta(filter(), 2, T0, T0 + 2000)), { new: [], deleted: [1, 2] });
    assert.deepEqual(idsOf(gone.delta(filter(), 2, T0 + 2000, T0 + 3000)), { new: [], deleted: [] });
  });

  test('a filter applies to deltas too', () => {
    assert.deepEqual(idsOf(build().delta(filter({ range: '192.0.2.4/32', contains: 'false' }), 3, T0, T0 + 30)), {
      new: [4, 5],
      deleted: [2],
    });
    assert.deepEqual(idsOf(build().delta(filter({ scopes: 'username' }), 3, T0, T0 + 30)), { new: [], deleted: [] });
  });

  test('an allowlist change: covered keys go to deleted, uncovered ones come back in new', () => {
    const idx = indexOf([dec(1, '192.0.2.1'), dec(2, '192.0.2.2'), dec(3, '2001:db8::1')]);
    const changed = [parseIpOrRange('192.0.2.0/31'), parseIpOrRange('2001:db8::/64')];
    assert.deepEqual(idsOf(idx.delta(filter(), 3, T0, T0 + 1, hiding('192.0.2.0/31', '2001:db8::/64'), changed)), {
      new: [],
      deleted: [1, 3],
    });
    assert.deepEqual(idsOf(idx.delta(filter(), 3, T0, T0 + 1, null, changed)), { new: [1, 3], deleted: [] });
    // hidden all along: its end is not news
    const ended = indexOf([dec(1, '192.0.2.1', { until: T0 + 10 })]);
    assert.deepEqual(idsOf(ended.delta(filter(), 1, T0, T0 + 20, hiding('192.0.2.1'))), { new: [], deleted: [] });
  });

  test('a change past the limit resends everything: the visible as new, the hidden and the ended as deleted', () => {
    const list = Array.from({ length: 10_002 }, (_, i) => dec(i + 1, `10.0.${i >> 8}.${i & 255}`));
    const idx = indexOf(list);
    idx.apply(dec(10_001, list[10_000]!.value, { seq: 10_003, until: T0 + 5 }), T0 + 5);
    const out = idx.delta(filter(), 10_002, T0, T0 + 10, hiding('10.0.0.0/24'), [parseIpOrRange('10.0.0.0/8')]);
    assert.equal(out.new.length, 10_002 - 256 - 1);
    assert.deepEqual(ids(out.deleted).slice(0, 2), [1, 2]);
    assert.deepEqual([out.deleted.length, out.deleted.at(-1)!.id], [257, 10_001]);
  });
});

describe('DecisionIndex.forget', () => {
  test('drops ended decisions older than the cut and compacts the log; active ones stay', () => {
    const idx = indexOf([dec(1, '192.0.2.1', { until: T0 + 10 }), dec(2, '192.0.2.2', { until: T0 + 1000 }), dec(3, '192.0.2.3')]);
    assert.deepEqual(idsOf(idx.delta(filter(), 3, T0, T0 + 2000)), { new: [], deleted: [1, 2] });
    idx.forget(T0 + 500);
    assert.deepEqual([idx.held, idx.size], [2, 1]);
    // a cursor from before the cut no longer learns of decision 1; 2 is still remembered
    assert.deepEqual(idsOf(idx.delta(filter(), 0, T0, T0 + 2000)), { new: [3], deleted: [2] });
    idx.forget(T0 + 5000);
    assert.deepEqual([idx.held, idx.size], [1, 1]);
    assert.deepEqual(idsOf(idx.delta(filter(), 0, T0, T0 + 2000)), { new: [3], deleted: [] });
  });
});

describe('DecisionIndex.activeDecisions', () => {
  test('the decisions active at a time, every scope', () => {
    const idx = indexOf([dec(1, '192.0.2.1', { until: T0 + 10 }), dec(2, 'bob', { scope: 'Username' }), dec(3, '2001:db8::/48')]);
    assert.deepEqual(ids([...idx.activeDecisions(T0 + 20)]).sort(), [2, 3]);
    assert.deepEqual(ids([...idx.activeDecisions(T0)]).sort(), [1, 2, 3]);
  });
});
