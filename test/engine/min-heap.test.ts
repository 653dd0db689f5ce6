import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MinHeap } from '../../src/engine/min-heap.js';

const drain = <T>(h: MinHeap<T>) => {
  const out: T[] = [];
  for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x);
  return out;
};

const cases: [string, number[]][] = [
  ['empty', []],
  ['one', [7]],
  ['ascending', [1, 2, 3, 4, 5]],
  ['descending', [5, 4, 3, 2, 1]],
  ['duplicates', [3, 1, 3, 1, 2, 2]],
  ['mixed', [9, -1, 4, 0, 12, 7, 7, 3, -5, 8]],
];
for (const [what, input] of cases) {
  test(`MinHeap pops in order: ${what}`, () => {
    const h = new MinHeap<number>((a, b) => a - b);
    for (const x of input) h.push(x);
    assert.equal(h.size, input.length);
    assert.equal(h.peek(), input.length ? Math.min(...input) : undefined);
    assert.deepEqual(
      drain(h),
      [...input].sort((a, b) => a - b),
    );
    assert.equal(h.size, 0);
  });
}

test('MinHeap: pushes between pops keep the order', () => {
  const h = new MinHeap<{ until: number }>((a, b) => a.until - b.until);
  for (const until of [30, 10, 20]) h.push({ until });
  assert.equal(h.pop()!.until, 10);
  h.push({ until: 5 });
  h.push({ until: 25 });
  assert.deepEqual(
    drain(h).map((x) => x.until),
    [5, 20, 25, 30],
  );
});
