/**
 * Value model of the evaluator. Values are plain JS values, with one twist so that Go's int/float64
 * distinction survives (it shows in `Sprintf('%d', …)`, `%` and `/`):
 * - an integer-valued JS `number` is an `int`; a non-integer `number` (or NaN/±Inf) is a `float64`;
 * - an integer-valued `float64` (the result of `4 / 2`, the literal `2.0`) is boxed in `Float`.
 * `Float` never leaves the engine: results handed to the caller or to host functions are unboxed
 * (see `toHost`), and containers built by an expression hold unboxed values.
 * `null` and `undefined` are both `nil`.
 */
export class Float {
  constructor(readonly value: number) {}
}

export interface Num {
  n: number;
  float: boolean;
}

export function isNil(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

/** The number inside `v` and whether it is a float64, or undefined when `v` is not a number. */
export function asNum(v: unknown): Num | undefined {
  if (typeof v === 'number') return { n: v, float: !Number.isInteger(v) };
  if (v instanceof Float) return { n: v.value, float: true };
  return undefined;
}

/** Wraps a float64 result so that an integer value keeps its float-ness. */
export function float(n: number): number | Float {
  return Number.isInteger(n) ? new Float(n) : n;
}

/** Strips the engine's boxing before a value leaves the engine. */
export function toHost(v: unknown): unknown {
  return v instanceof Float ? v.value : v;
}

/** A map-like object: a plain object (or null-prototype one), as opposed to a class instance (struct-like). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Go-style type name for messages: int, float64, string, bool, <nil>, []interface {}, map[string]interface {}. */
export function typeName(v: unknown): string {
  if (isNil(v)) return '<nil>';
  const n = asNum(v);
  if (n) return n.float ? 'float64' : 'int';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'function':
      return 'func';
    case 'bigint':
      return 'int64';
    default:
      break;
  }
  if (Array.isArray(v)) return '[]interface {}';
  if (v instanceof Map || isPlainObject(v)) return 'map[string]interface {}';
  const ctor = (v as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof ctor === 'string' && ctor !== '' ? `*${ctor}` : 'object';
}

/** expr-lang's runtime.Equal: numbers compare numerically across int/float, never a type error. */
export function equal(a: unknown, b: unknown): boolean {
  if (isNil(a) || isNil(b)) return isNil(a) && isNil(b);
  const x = asNum(a);
  const y = asNum(b);
  if (x || y) return x !== undefined && y !== undefined && x.n === y.n;
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => equal(item, b[i]));
  }
  if (a instanceof Map && b instanceof Map) {
    return a.size === b.size && [...a].every(([k, v]) => b.has(k) && equal(v, b.get(k)));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]));
  }
  return false;
}

/** Orders two numbers or two strings; undefined when the pair is not comparable. */
export function compare(a: unknown, b: unknown): number | undefined {
  const x = asNum(a);
  const y = asNum(b);
  if (x && y) return x.n < y.n ? -1 : x.n > y.n ? 1 : x.n === y.n ? 0 : NaN;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

/** Byte length as Go's len(): strings count UTF-8 bytes. */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
