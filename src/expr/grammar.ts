/** Operator tables and number literals of expr-lang (parser/operator, parser.parseSecondary). */
import { float } from './values.js';

/** expr-lang's operator table (parser/operator): higher binds tighter. */
export const BINARY: Record<string, { prec: number; right?: true }> = {
  '|': { prec: 0 },
  or: { prec: 10 },
  '||': { prec: 10 },
  and: { prec: 15 },
  '&&': { prec: 15 },
  '==': { prec: 20 },
  '!=': { prec: 20 },
  '<': { prec: 20 },
  '>': { prec: 20 },
  '>=': { prec: 20 },
  '<=': { prec: 20 },
  in: { prec: 20 },
  matches: { prec: 20 },
  contains: { prec: 20 },
  startsWith: { prec: 20 },
  endsWith: { prec: 20 },
  '..': { prec: 25 },
  '+': { prec: 30 },
  '-': { prec: 30 },
  '*': { prec: 60 },
  '/': { prec: 60 },
  '%': { prec: 60 },
  '**': { prec: 100, right: true },
  '^': { prec: 100, right: true },
  '??': { prec: 500 },
};
export const UNARY: Record<string, number> = { not: 50, '!': 50, '-': 90, '+': 90 };
export const NEGATABLE = new Set(['in', 'matches', 'contains', 'startsWith', 'endsWith']);
export const COMPARISON = new Set(['<', '>', '<=', '>=']);
/** Built-ins whose second argument is a predicate over `#`, the current element. */
export const PREDICATES = new Set(['all', 'any', 'none', 'one', 'filter', 'map', 'count']);
export const IDENTIFIER = /^[\p{L}_$][\p{L}\p{Nd}_$]*$/u;

/**
 * The value of a Number token: an int, or a float64 (engine form, values.ts) when it has a fraction or
 * an exponent; or `{ error }` with expr-lang's message when it is malformed or out of range.
 */
export function parseNumber(text: string): { value: unknown } | { error: string } {
  const raw = text.replace(/_/g, '');
  const lower = raw.toLowerCase();
  const radix = lower.startsWith('0x') ? 16 : lower.startsWith('0b') ? 2 : lower.startsWith('0o') ? 8 : 10;
  if (radix === 10 && /[.e]/.test(lower)) {
    const n = Number(raw);
    if (Number.isNaN(n) || !/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(lower)) return { error: `invalid float literal: ${raw}` };
    if (!Number.isFinite(n)) return { error: 'float literal is too large' };
    return { value: float(n) };
  }
  const digits = radix === 10 ? raw : raw.slice(2);
  const valid = radix === 16 ? /^[0-9a-f]+$/i : radix === 8 ? /^[0-7]+$/ : radix === 2 ? /^[01]+$/ : /^\d+$/;
  const n = valid.test(digits) ? parseInt(digits, radix) : NaN;
  if (Number.isNaN(n)) return { error: `invalid integer literal: ${raw}` };
  // Go ints are 64-bit; beyond 2^53 a JS number would silently lose digits.
  if (!Number.isSafeInteger(n)) return { error: 'integer literal is too large' };
  return { value: n };
}
