import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RangeSet } from '../../src/domain/range-set.js';
import type { Decision } from '../../src/domain/decision.js';
import { parseDecisionFilter } from '../../src/domain/decision-filter.js';
import { formatAddress, parseIp, parseIpOrRange } from '../../src/domain/ip-range.js';
import { DecisionIndex, type Visibility } from '../../src/engine/decision-index.js';

const now = Date.now();
const ALL = parseDecisionFilter({}, ['ip', 'range']);

/** `n` one-hour bans on 10.0.0.1 upwards, all of change sequence 1. */
function index(n: number): DecisionIndex {
  const idx = new DecisionIndex();
  for (let i = 1; i <= n; i++) {
    const value = formatAddress(4, BigInt((10 << 24) + i));
    const d: Decision = {
      id: i,
      uuid: `u${i}`,
      alertId: 1,
      seq: 1,
      createdAt: now,
      until: now + 3600_000,
      scenario: 's',
      type: 'ban',
      scope: 'Ip',
      value,
      origin: 'cscli',
      simulated: false,
      range: parseIp(value),
    };
    idx.apply(d, now);
  }
  return idx;
}

const hiding = (cidr: string): Visibility => {
  const set = new RangeSet([parseIpOrRange(cidr)]);
  return { hides: (d) => d.range !== null && set.overlaps(d.range) };
};

test('a delta after an allowlist change: the keys the changed ranges overlap, hidden ones in deleted, shown ones in new', () => {
  const idx = index(1000);
  // 10.0.0.0/24 holds 10.0.0.1 to 10.0.0.255: newly hidden
  const hidden = idx.delta(ALL, 1, now - 1000, now + 1, hiding('10.0.0.0/24'), [parseIpOrRange('10.0.0.0/24')]);
  assert.equal(hidden.new.length, 0);
  assert.equal(hidden.deleted.length, 255);
  assert.deepEqual([hidden.deleted[0]!.value, hidden.deleted.at(-1)!.value], ['10.0.0.1', '10.0.0.255']);
  // the item goes: the same keys come back; a single address inside a decision range counts too
  const shown = idx.delta(ALL, 1, now - 1000, now + 1, null, [parseIpOrRange('10.0.0.0/24'), parseIpOrRange('10.0.3.7')]);
  assert.equal(shown.new.length, 256);
  assert.equal(shown.deleted.length, 0);
  // nothing changed: nothing sent
  assert.deepEqual(idx.delta(ALL, 1, now - 1000, now + 1, hiding('10.0.0.0/24'), null), { new: [], deleted: [] });
});

test('a change over many decisions (or everywhere, after a restart) answers with everything visible and everything hidden', () => {
  const idx = index(12_000);
  for (const changed of ['10.0.0.0/8', '0.0.0.0/0']) {
    const out = idx.delta(ALL, 1, now - 1000, now + 1, hiding('10.0.0.0/24'), [parseIpOrRange(changed)]);
    assert.equal(out.new.length, 12_000 - 255, changed);
    assert.equal(out.deleted.length, 255, changed);
    assert.ok(out.new.every((d) => d.id > 255) && out.deleted.every((d) => d.id <= 255), changed);
  }
  // without a view, everything is visible
  const open = idx.delta(ALL, 1, now - 1000, now + 1, null, [parseIpOrRange('0.0.0.0/0')]);
  assert.deepEqual([open.new.length, open.deleted.length], [12_000, 0]);
});
