/**
 * Binary operators (all but the short-circuiting `&&`, `||`, `??`), with expr-lang's runtime rules:
 * int op int stays int for `+ - * %`, `/` and `**` always give a float64, `==` never fails,
 * ordering needs two numbers or two strings, `in` looks into arrays, maps and struct fields.
 * Messages follow expr-lang's runtime: `invalid operation: int < string`.
 */
import { cachedGoRegexp } from './regex.js';
import { asNum, compare, equal, float, isNil, typeName, type Num } from './values.js';

export type Fail = (message: string, cause?: unknown) => never;

/** Applies `op` to two evaluated operands; `regexp` is the pattern compiled at parse time, if literal. */
export function applyBinary(op: string, a: unknown, b: unknown, regexp: RegExp | undefined, fail: Fail): unknown {
  switch (op) {
    case '==':
      return equal(a, b);
    case '!=':
      return !equal(a, b);
    case '<':
    case '>':
    case '<=':
    case '>=':
      return ordered(op, a, b, fail);
    case '+':
      if (typeof a === 'string' && typeof b === 'string') return a + b;
      return arithmetic(op, a, b, fail);
    case '-':
    case '*':
    case '/':
    case '%':
    case '**':
    case '^':
      return arithmetic(op, a, b, fail);
    case '..':
      return range(a, b, fail);
    case 'in':
      return contains(a, b, fail);
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      if (typeof a !== 'string' || typeof b !== 'string') {
        return fail(`invalid operation: ${op} (mismatched types ${typeName(a)} and ${typeName(b)})`);
      }
      return op === 'contains' ? a.includes(b) : op === 'startsWith' ? a.startsWith(b) : a.endsWith(b);
    case 'matches':
      return matches(a, b, regexp, fail);
    default:
      return fail(`unknown operator ${op}`);
  }
}

function ordered(op: string, a: unknown, b: unknown, fail: Fail): boolean {
  const c = compare(a, b);
  if (c === undefined) return fail(`invalid operation: ${typeName(a)} ${op} ${typeName(b)}`);
  // NaN compares false whichever way, as in Go.
  return op === '<' ? c < 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : c >= 0;
}

function arithmetic(op: string, a: unknown, b: unknown, fail: Fail): unknown {
  const x = asNum(a);
  const y = asNum(b);
  if (!x || !y) return fail(`invalid operation: ${typeName(a)} ${op} ${typeName(b)}`);
  switch (op) {
    case '/':
      return float(x.n / y.n);
    case '**':
    case '^':
      return float(x.n ** y.n);
    case '%':
      if (x.float || y.float) return fail(`invalid operation: ${typeName(a)} % ${typeName(b)}`);
      if (y.n === 0) return fail('integer divide by zero');
      return (x.n % y.n) + 0; // `+ 0` turns JS's -0 into Go's 0
    default:
      return numeric(x, y, op === '+' ? x.n + y.n : op === '-' ? x.n - y.n : x.n * y.n);
  }
}

function numeric(x: Num, y: Num, result: number): unknown {
  return x.float || y.float ? float(result) : result + 0;
}

function range(a: unknown, b: unknown, fail: Fail): number[] {
  const x = asNum(a);
  const y = asNum(b);
  if (!x || !y || x.float || y.float) return fail(`invalid operation: ${typeName(a)}..${typeName(b)}`);
  const out: number[] = [];
  // A guard against `1..1e9`-style memory blow-ups, in the spirit of expr-lang's memory budget.
  if (y.n - x.n >= 1_000_000) return fail('memory budget exceeded');
  for (let i = x.n; i <= y.n; i++) out.push(i);
  return out;
}

/** `needle in haystack`, as runtime.In: array membership, map key, struct field; nil → false. */
function contains(needle: unknown, haystack: unknown, fail: Fail): boolean {
  if (isNil(haystack)) return false;
  if (Array.isArray(haystack)) return haystack.some((item) => equal(item, needle));
  if (haystack instanceof Map) return haystack.has(asNum(needle)?.n ?? needle);
  if (typeof haystack === 'object') {
    if (typeof needle !== 'string') return fail(`cannot use ${typeName(needle)} as field name of ${typeName(haystack)}`);
    return Object.hasOwn(haystack, needle);
  }
  return fail(`operator "in" not defined on ${typeName(haystack)}`);
}

function matches(a: unknown, b: unknown, regexp: RegExp | undefined, fail: Fail): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') {
    return fail(`invalid operation: matches (mismatched types ${typeName(a)} and ${typeName(b)})`);
  }
  let re = regexp;
  if (re === undefined) {
    try {
      re = cachedGoRegexp(b);
    } catch (err) {
      return fail((err as Error).message, err);
    }
  }
  return re.test(a);
}
