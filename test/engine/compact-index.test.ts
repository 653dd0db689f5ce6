import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bouncerDecisionList, streamBody } from '../../src/api/wire.js';
import type { Decision } from '../../src/domain/decision.js';
import { parseDecisionFilter } from '../../src/domain/decision-filter.js';
import { formatRange, parseIpOrRange } from '../../src/domain/ip-range.js';
import { IdMap } from '../../src/engine/compact/id-map.js';
import { DecisionIndex } from '../../src/engine/decision-index.js';
import { dec as base, HOUR, T0 } from '../helpers/index-decisions.js';

// The compact index's own mechanics: slots, chains, the arena, the heap and the bytes it writes. The
// stream semantics (dedup, deltas, allowlists) are in decision-index.test.ts.

// a uuid as the store makes them, and some decisions without an alert
const dec = (id: number, value: string, o: Partial<Decision> = {}): Decision =>
  base(id, value, {
    uuid: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    alertId: id % 3 === 0 ? null : 7,
    createdAt: T0 - 5,
    ...o,
  });

const ids = (list: { id: number }[]) => list.map((d) => d.id);
const q = (idx: DecisionIndex, query: Record<string, string>, now = T0 + 1) => ids(idx.query(parseDecisionFilter(query), now));

describe('compact index: add, expire, delete', () => {
  const cases: [string, (idx: DecisionIndex) => void, Record<string, string>, number, number[], [number, number]][] = [
    ['added: served', (i) => i.apply(dec(1, '192.0.2.1'), T0), { ip: '192.0.2.1' }, T0 + 1, [1], [1, 1]],
    ['served at its `until`', (i) => i.apply(dec(1, '192.0.2.1'), T0), { ip: '192.0.2.1' }, T0 + HOUR, [1], [1, 1]],
    ['expired: gone, still held', (i) => i.apply(dec(1, '192.0.2.1'), T0), { ip: '192.0.2.1' }, T0 + HOUR + 1, [], [0, 1]],
    [
      'deleted (until moved back): gone, still held',
      (i) => {
        i.apply(dec(1, '192.0.2.1'), T0);
        i.apply(dec(1, '192.0.2.1', { seq: 9, until: T0 }), T0 + 1);
      },
      { ip: '192.0.2.1' },
      T0 + 1,
      [],
      [0, 1],
    ],
    [
      'extended (until moved forward): served past the old end',
      (i) => {
        i.apply(dec(1, '192.0.2.1'), T0);
        i.apply(dec(1, '192.0.2.1', { seq: 9, until: T0 + 3 * HOUR }), T0 + 1);
      },
      { ip: '192.0.2.1' },
      T0 + 2 * HOUR,
      [1],
      [1, 1],
    ],
    [
      'applied already ended: held, never served',
      (i) => i.apply(dec(1, '192.0.2.1', { until: T0 - 1 }), T0),
      { ip: '192.0.2.1' },
      T0,
      [],
      [0, 1],
    ],
    [
      'overlap: an address, its /24 and a /16, and a neighbour',
      (i) => {
        for (const [id, v] of [
          [1, '192.0.2.1'],
          [2, '192.0.2.0/24'],
          [3, '192.0.0.0/16'],
          [4, '192.0.2.2'],
        ] as const)
          i.apply(dec(id, v), T0);
      },
      { ip: '192.0.2.1' },
      T0 + 1,
      [1, 2, 3],
      [4, 4],
    ],
    [
      'two decisions on one value: both served, by id',
      (i) => {
        i.apply(dec(5, '192.0.2.1', { type: 'captcha' }), T0);
        i.apply(dec(2, '192.0.2.1'), T0);
      },
      { ip: '192.0.2.1' },
      T0 + 1,
      [2, 5],
      [2, 2],
    ],
    [
      'a value that is no IP, by value',
      (i) => i.apply(dec(1, 'bob "the" <builder>', { scope: 'Username' }), T0),
      { value: 'bob "the" <builder>', scopes: 'Username' },
      T0 + 1,
      [1],
      [1, 1],
    ],
  ];
  for (const [what, build, query, now, want, [size, held]] of cases) {
    test(what, () => {
      const idx = new DecisionIndex();
      build(idx);
      assert.deepEqual(q(idx, query, now), want);
      assert.deepEqual([idx.size, idx.held], [size, held]);
    });
  }

  test('a decision comes back as it went in, every field', () => {
    const idx = new DecisionIndex();
    const list = [dec(1, '192.0.2.1'), dec(3, '2001:db8::/48'), dec(4, 'ünïcødé\u2028', { scope: 'Username', simulated: true })];
    for (const d of list) idx.apply(d, T0);
    assert.deepEqual(
      [...idx.activeDecisions(T0)].sort((a, b) => a.id - b.id),
      list,
    );
  });
});

describe('compact index: IPv4, IPv6, mapped', () => {
  const idx = new DecisionIndex();
  const list = [
    dec(1, '198.51.100.7'),
    dec(2, '::ffff:198.51.100.8'),
    dec(3, '2001:db8::1'),
    dec(4, '2001:db8:0:1::/64'),
    dec(5, '::ffff:203.0.113.0/120'),
    dec(6, '::/0'),
  ];
  for (const d of list) idx.apply(d, T0);
  const cases: [string, string, number[]][] = [
    ['plain IPv4', '198.51.100.7', [1]],
    ['IPv4 asked as mapped', '::ffff:198.51.100.7', [1]],
    ['a mapped ban asked as plain IPv4', '198.51.100.8', [2]],
    ['a mapped range is an IPv4 /24', '203.0.113.200', [5]],
    ['IPv6 address: itself and ::/0', '2001:db8::1', [3, 6]],
    ['IPv6 inside the /64', '2001:db8:0:1:ffff::9', [4, 6]],
    ['IPv6 next to the /64', '2001:db8:0:2::9', [6]],
    ['an IPv4 address is not in ::/0', '192.0.2.1', []],
  ];
  for (const [what, ip, want] of cases) test(what, () => assert.deepEqual(q(idx, { ip }), want));
});

describe('compact index: ranges of every prefix length', () => {
  test('IPv4 /0 to /32: the first and last addresses inside, the ones around outside', () => {
    for (let p = 0; p <= 32; p++) {
      const idx = new DecisionIndex();
      const r = parseIpOrRange(`203.0.113.77/${p}`);
      idx.apply(dec(1, formatRange(r)), T0);
      const at = (n: bigint) => `${(n >> 24n) & 255n}.${(n >> 16n) & 255n}.${(n >> 8n) & 255n}.${n & 255n}`;
      assert.deepEqual(q(idx, { ip: at(r.start) }), [1], `/${p} first`);
      assert.deepEqual(q(idx, { ip: at(r.end) }), [1], `/${p} last`);
      if (r.start > 0n) assert.deepEqual(q(idx, { ip: at(r.start - 1n) }), [], `/${p} before`);
      if (r.end < 0xffffffffn) assert.deepEqual(q(idx, { ip: at(r.end + 1n) }), [], `/${p} after`);
      assert.deepEqual(q(idx, { range: formatRange(r) }), [1], `/${p} as a range`);
      assert.deepEqual(q(idx, { range: '0.0.0.0/0', contains: 'false' }), [1], `/${p} inside /0`);
    }
  });

  test('IPv6 /0 to /128', () => {
    const hex = (n: bigint) => {
      const h = n.toString(16).padStart(32, '0');
      return h.match(/.{4}/g)!.join(':');
    };
    for (let p = 0; p <= 128; p++) {
      const idx = new DecisionIndex();
      const r = parseIpOrRange(`2001:db8:1234:5678:9abc:def0:1357:2468/${p}`);
      idx.apply(dec(1, formatRange(r)), T0);
      for (const [n, want] of [
        [r.start, [1]],
        [r.end, [1]],
        [r.start - 1n, []],
        [r.end + 1n, []],
      ] as const) {
        // ::ffff:0:0/96 holds the mapped IPv4 addresses, which are IPv4
        if (n < 0n || n >= 1n << 128n || n >> 32n === 0xffffn) continue;
        assert.deepEqual(q(idx, { ip: hex(n) }), want, `/${p} ${hex(n)}`);
      }
    }
  });
});

describe('compact index: slots', () => {
  test('forgotten slots are reused, and what they held is gone from every lookup and from deltas', () => {
    const idx = new DecisionIndex();
    for (let i = 1; i <= 100; i++) idx.apply(dec(i, `10.0.0.${i}`, { until: T0 + 10 }), T0);
    idx.sweep(T0 + 20);
    idx.forget(T0 + 30);
    assert.deepEqual([idx.size, idx.held, idx.slots.free], [0, 0, 100]);
    for (let i = 101; i <= 150; i++) idx.apply(dec(i, `10.0.1.${i - 100}`, { seq: i, createdAt: T0 + 40 }), T0 + 40);
    assert.deepEqual(idx.slots, { top: 100, free: 50 });
    assert.deepEqual(q(idx, { ip: '10.0.0.5' }, T0 + 50), []);
    assert.deepEqual(q(idx, { ip: '10.0.1.5' }, T0 + 50), [105]);
    const f = parseDecisionFilter({}, ['ip', 'range']);
    assert.deepEqual(
      ids(idx.snapshot(f, T0 + 50).new),
      Array.from({ length: 50 }, (_, i) => 101 + i),
    );
    const d = idx.delta(f, 0, T0, T0 + 50);
    assert.deepEqual([ids(d.new).length, d.deleted], [50, []]);
  });

  test('the arena compacts under churn, every value intact', () => {
    const idx = new DecisionIndex();
    for (let round = 0; round < 30; round++) {
      for (let i = 1; i <= 500; i++)
        idx.apply(dec(i, `2001:db8::${i.toString(16)}`, { seq: round * 1000 + i, until: T0 + HOUR + round }), T0);
    }
    assert.equal(idx.held, 500);
    assert.ok(idx.bytes < 1 << 20, `${idx.bytes} bytes`);
    const all = [...idx.activeDecisions(T0)];
    assert.equal(all.length, 500);
    for (const d of all) assert.equal(d.value, `2001:db8::${d.id.toString(16)}`);
  });

  test('expiry order holds through replacements (the heap follows moved `until`s)', () => {
    const idx = new DecisionIndex();
    for (let i = 1; i <= 50; i++) idx.apply(dec(i, `10.1.0.${i}`, { until: T0 + i * 1000 }), T0);
    for (let i = 1; i <= 50; i += 2) idx.apply(dec(i, `10.1.0.${i}`, { seq: 100 + i, until: T0 + (100 - i) * 1000 }), T0);
    for (let t = 0; t <= 100; t += 7) {
      const want = [];
      for (let i = 1; i <= 50; i++) if ((i % 2 === 1 ? 100 - i : i) * 1000 >= t * 1000) want.push(i);
      assert.deepEqual(q(idx, {}, T0 + t * 1000), want, `at +${t}s`);
    }
  });
});

describe('compact index: the bytes it writes are the wire formatter’s', () => {
  const idx = new DecisionIndex();
  const list = [
    dec(1, '192.0.2.1'),
    dec(2, '192.0.2.0/24', { until: T0 + 90_000, scenario: 'a<b>&"c"\u2028', origin: 'cscli' }),
    dec(3, '2001:db8::/32', { until: T0 + 400 }),
    dec(4, '192.0.2.9', { until: T0 + 100 * HOUR + 59_999, type: 'captcha' }),
    dec(5, 'ünï "cødé"', { scope: 'Username' }),
    dec(123_456_789, '192.0.2.1', { uuid: 'not-a-uuid-\\-"x"' }),
  ];
  for (const d of list) idx.apply(d, T0);

  test('query mode', () => {
    for (const now of [T0, T0 + 1, T0 + 500, T0 + 1499]) {
      const all = parseDecisionFilter({ scopes: 'Ip,Range,Username' });
      assert.equal(idx.queryBody(all, now).body.toString(), bouncerDecisionList(idx.query(all, now), now, false));
    }
    assert.equal(idx.queryBody(parseDecisionFilter({ ip: '203.0.113.1' }), T0).body.toString(), 'null');
  });

  test('stream bodies, in chunks of any size', () => {
    const f = parseDecisionFilter({ scopes: 'Ip,Range,Username' });
    const now = T0 + 700;
    const ended = idx.delta(f, 0, T0, T0 + 1);
    for (const out of [idx.snapshotSlots(f, now), { new: [], deleted: [] }, idx.deltaSlots(f, 0, T0, now)]) {
      const want = streamBody(
        Array.from(out.new, (s) => idx.decisionAt(s)),
        Array.from(out.deleted, (s) => idx.decisionAt(s)),
        now,
      );
      for (const size of [1, 40, 333, 1 << 16]) {
        const body = idx.body(out, now);
        const chunks: Buffer[] = [];
        for (let c = body.next(size); c; c = body.next(size)) chunks.push(c);
        assert.equal(Buffer.concat(chunks).toString(), want, `chunks of ${size}`);
      }
    }
    assert.ok(ended.new.length > 0);
  });
});

describe('compact index: the id map', () => {
  test('agrees with a Map through inserts, updates, deletes and rebuilds', () => {
    const m = new IdMap();
    const ref = new Map<number, number>();
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 50_000; i++) {
      const id = 1 + rand(5000) + (i % 2 === 0 ? 0 : 2 ** 33);
      if (rand(3) === 0) {
        m.delete(id);
        ref.delete(id);
      } else {
        m.set(id, i);
        ref.set(id, i);
      }
    }
    assert.equal(m.size, ref.size);
    for (let id = 1; id <= 5001; id++) {
      assert.equal(m.get(id), ref.get(id));
      assert.equal(m.get(id + 2 ** 33), ref.get(id + 2 ** 33));
    }
  });
});

describe('compact index: a startup pull walked as it is written', () => {
  test('the walk gives the snapshot, and keeps its place when the order is re-sorted or compacted under it', () => {
    const idx = new DecisionIndex();
    for (let id = 1; id < 200; id += 2) idx.apply(dec(id, `10.2.0.${id}`, { until: T0 + (id < 20 ? 10 : HOUR) }), T0);
    const f = parseDecisionFilter({}, ['ip', 'range']);
    const want = Array.from(idx.snapshotSlots(f, T0 + 1).new, (s) => idx.decisionAt(s).id);
    const walk = idx.snapshotWalk(f, T0 + 1);
    const got: number[] = [];
    for (let k = 0; k < 30; k++) got.push(idx.decisionAt(walk()).id);
    // an id below the walk's place arrives out of order (a re-sort), then ended slots are forgotten (a compaction)
    idx.apply(dec(40, '10.2.1.40', { seq: 500 }), T0 + 2);
    idx.apply(dec(400, '10.2.1.144', { seq: 501 }), T0 + 2);
    idx.sweep(T0 + 20);
    idx.forget(T0 + 30);
    for (let s = walk(); s >= 0; s = walk()) got.push(idx.decisionAt(s).id);
    assert.deepEqual(got, [...want, 400]);
  });
});

describe('compact index: trim', () => {
  test('after a load, the room growth left is given back and everything still answers', () => {
    const idx = new DecisionIndex();
    for (let i = 1; i <= 5000; i++) idx.apply(dec(i, `10.3.${i >> 8}.${i & 255}`), T0);
    const before = idx.bytes;
    idx.trim();
    assert.ok(idx.bytes < before, `${idx.bytes} < ${before}`);
    assert.deepEqual(q(idx, { ip: '10.3.19.136' }), [5000]);
    for (let i = 5001; i <= 6000; i++) idx.apply(dec(i, `10.4.${i >> 8}.${i & 255}`), T0);
    assert.deepEqual([idx.size, q(idx, { ip: '10.4.23.112' })], [6000, [6000]]);
  });
});
