/**
 * Member access, indexing and slicing on engine and host values, as expr-lang's runtime.Fetch/Slice.
 * Plain objects and Maps behave like Go maps (a missing key is nil); other objects (class instances)
 * behave like Go structs (a missing field is an error). Only own properties and methods found on a
 * class's prototype chain are reachable: never `constructor`, `__proto__`, nor anything inherited
 * from Object, Function or Array, so an expression cannot climb to the Function constructor.
 */
import { formatValue } from './format.js';
import type { Fail } from './operators.js';
import { asNum, isPlainObject, toHost, typeName } from './values.js';

const BLOCKED = new Set([
  'constructor',
  '__proto__',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);
const BUILTIN_PROTOTYPES = new Set<unknown>([Object.prototype, Function.prototype, Array.prototype, null]);

/** `obj.key` / `obj[key]`. */
export function fetch(obj: unknown, key: unknown, fail: Fail): unknown {
  const cannot = (): never => fail(`cannot fetch ${formatValue(key)} from ${typeName(obj)}`);
  if (typeof obj === 'string' || Array.isArray(obj)) {
    const n = asNum(key);
    if (!n) return cannot();
    const items: ArrayLike<unknown> = typeof obj === 'string' ? Buffer.from(obj, 'utf8') : obj;
    let i = Math.trunc(n.n);
    if (i < 0) i += items.length;
    if (i < 0 || i >= items.length) return fail(`index out of range: ${i} (array length is ${items.length})`);
    return items[i];
  }
  if (obj instanceof Map) return obj.get(toHost(key)) ?? null;
  if (typeof obj !== 'object' || obj === null) return cannot();
  if (typeof key !== 'string' || BLOCKED.has(key)) return cannot();
  if (Object.hasOwn(obj, key)) return (obj as Record<string, unknown>)[key] ?? null;
  if (isPlainObject(obj)) return null;
  for (let proto: unknown = Object.getPrototypeOf(obj); !BUILTIN_PROTOTYPES.has(proto); proto = Object.getPrototypeOf(proto)) {
    if (Object.hasOwn(proto as object, key)) return Reflect.get(proto as object, key, obj) ?? null;
  }
  return cannot();
}

/** `obj[from:to]` on arrays and strings (bytes, as Go), indexes clamped as runtime.Slice does. */
export function slice(obj: unknown, from: unknown, to: unknown, fail: Fail): unknown {
  if (typeof obj !== 'string' && !Array.isArray(obj)) return fail(`cannot slice ${typeName(obj)}`);
  const bytes = typeof obj === 'string' ? Buffer.from(obj, 'utf8') : undefined;
  const length = bytes ? bytes.length : (obj as unknown[]).length;
  const toIndex = (v: unknown, dflt: number): number => {
    if (v === undefined) return dflt;
    const n = asNum(v);
    if (!n) return fail(`invalid operation: int(${typeName(v)})`);
    const i = Math.trunc(n.n);
    return Math.max(i < 0 ? length + i : i, 0);
  };
  const b = Math.min(toIndex(to, length), length);
  const a = Math.min(toIndex(from, 0), b);
  return bytes ? bytes.subarray(a, b).toString('utf8') : (obj as unknown[]).slice(a, b);
}
