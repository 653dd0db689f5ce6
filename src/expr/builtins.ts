/**
 * Built-in functions: expr-lang's `len upper lower trim trimPrefix trimSuffix split join replace abs
 * int float string`, plus CrowdSec's `Sprintf` helper. They take engine values (see values.ts) and
 * win over env entries of the same name, as expr-lang's built-ins do.
 */
import { formatValue } from './format.js';
import type { Fail } from './operators.js';
import { sprintf } from './sprintf.js';
import { asNum, float, isPlainObject, typeName, utf8Length } from './values.js';

export type Builtin = (args: unknown[], fail: Fail) => unknown;

function arity(name: string, args: unknown[], min: number, max: number, fail: Fail): void {
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${min}` : `${min} or ${max}`;
    fail(`invalid number of arguments for ${name} (expected ${expected}, got ${args.length})`);
  }
}

function str(name: string, v: unknown, fail: Fail): string {
  if (typeof v !== 'string') return fail(`cannot use ${typeName(v)} as argument (type string) to call ${name}`);
  return v;
}

function int(name: string, v: unknown, fail: Fail): number {
  const n = asNum(v);
  if (!n) return fail(`cannot use ${typeName(v)} as argument (type int) to call ${name}`);
  return Math.trunc(n.n);
}

/** A string function of 1..max string arguments. */
function strings(name: string, min: number, max: number, fn: (...s: string[]) => unknown): Builtin {
  return (args, fail) => {
    arity(name, args, min, max, fail);
    return fn(...args.map((a) => str(name, a, fail)));
  };
}

/** strings.Trim: strips any of the runes of `cutset` from both ends. */
function trimCutset(s: string, cutset: string): string {
  const set = new Set(cutset);
  const chars = [...s];
  let a = 0;
  let b = chars.length;
  while (a < b && set.has(chars[a]!)) a++;
  while (b > a && set.has(chars[b - 1]!)) b--;
  return chars.slice(a, b).join('');
}

/** strings.SplitN (n < 0: all parts; n == 0: none; an empty separator splits into runes). */
function splitN(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  const parts = sep === '' ? [...s] : s.split(sep);
  if (n < 0 || parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

export const BUILTINS: Record<string, Builtin> = Object.assign(Object.create(null) as Record<string, Builtin>, {
  len: (args: unknown[], fail: Fail) => {
    arity('len', args, 1, 1, fail);
    const [v] = args;
    if (typeof v === 'string') return utf8Length(v);
    if (Array.isArray(v)) return v.length;
    if (v instanceof Map) return v.size;
    if (isPlainObject(v)) return Object.keys(v).length;
    return fail(`invalid argument for len (type ${typeName(v)})`);
  },
  Sprintf: (args: unknown[], fail: Fail) => {
    if (args.length === 0) fail('invalid number of arguments for Sprintf (expected at least 1, got 0)');
    return sprintf(str('Sprintf', args[0], fail), args.slice(1));
  },
  upper: strings('upper', 1, 1, (s) => s.toUpperCase()),
  lower: strings('lower', 1, 1, (s) => s.toLowerCase()),
  trim: strings('trim', 1, 2, (s, cutset) => (cutset === undefined ? s.replace(/^\s+|\s+$/gu, '') : trimCutset(s, cutset))),
  trimPrefix: strings('trimPrefix', 1, 2, (s, p = ' ') => (s.startsWith(p) ? s.slice(p.length) : s)),
  trimSuffix: strings('trimSuffix', 1, 2, (s, p = ' ') => (p !== '' && s.endsWith(p) ? s.slice(0, -p.length) : s)),
  split: (args: unknown[], fail: Fail) => {
    arity('split', args, 2, 3, fail);
    const n = args.length === 3 ? int('split', args[2], fail) : -1;
    return splitN(str('split', args[0], fail), str('split', args[1], fail), n);
  },
  join: (args: unknown[], fail: Fail) => {
    arity('join', args, 1, 2, fail);
    const [list, glue = ''] = args;
    if (!Array.isArray(list)) return fail(`invalid argument for join (type ${typeName(list)})`);
    return list.map((item) => str('join', item, fail)).join(str('join', glue, fail));
  },
  replace: (args: unknown[], fail: Fail) => {
    arity('replace', args, 3, 3, fail);
    const [s, from, to] = args.map((a) => str('replace', a, fail)) as [string, string, string];
    // strings.ReplaceAll with an empty `from` inserts `to` around every rune.
    return from === '' ? `${to}${[...s].join(to)}${s === '' ? '' : to}` : s.split(from).join(to);
  },
  abs: (args: unknown[], fail: Fail) => {
    arity('abs', args, 1, 1, fail);
    const n = asNum(args[0]);
    if (!n) return fail(`invalid argument for abs (type ${typeName(args[0])})`);
    return n.float ? float(Math.abs(n.n)) : Math.abs(n.n);
  },
  int: (args: unknown[], fail: Fail) => {
    arity('int', args, 1, 1, fail);
    const [v] = args;
    if (typeof v === 'string') {
      if (!/^[+-]?\d+$/.test(v)) return fail(`strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
      return Number(v);
    }
    const n = asNum(v);
    if (!n) return fail(`invalid operation: int(${typeName(v)})`);
    return Math.trunc(n.n) + 0;
  },
  float: (args: unknown[], fail: Fail) => {
    arity('float', args, 1, 1, fail);
    const [v] = args;
    if (typeof v === 'string') {
      const n = Number(v);
      if (v.trim() === '' || v.trim() !== v || Number.isNaN(n))
        return fail(`strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
      return float(n);
    }
    const n = asNum(v);
    if (!n) return fail(`invalid operation: float(${typeName(v)})`);
    return float(n.n);
  },
  string: (args: unknown[], fail: Fail) => {
    arity('string', args, 1, 1, fail);
    return formatValue(args[0]);
  },
});
