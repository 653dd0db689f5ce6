import assert from 'node:assert/strict';

/** Asserts that `fn` throws an instance of `type` whose message is exactly `message`. */
export function throwsExactly(fn: () => unknown, type: abstract new (...args: never[]) => Error, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof type, `expected a ${type.name}, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}
