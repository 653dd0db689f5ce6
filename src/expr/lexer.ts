/**
 * Tokenizer for the expr-lang subset (see index.ts). Token kinds and their printed form follow
 * expr-lang's `parser/lexer`, so syntax errors read the same: `unexpected token Operator("*")`.
 */
import { ExprSyntaxError } from './errors.js';
import { goQuote } from '../go-format.js';

export type TokenKind = 'Identifier' | 'Number' | 'String' | 'Operator' | 'Bracket' | 'EOF';

export interface Token {
  kind: TokenKind;
  value: string;
  /** UTF-16 offset of the token's first character in the source. */
  pos: number;
}

/** As expr-lang's Token.String(): `Kind("value")`, or the bare kind when the value is empty. */
export function tokenString(t: Token): string {
  return t.value === '' ? t.kind : `${t.kind}(${goQuote(t.value)})`;
}

const WORD_OPERATORS = new Set(['not', 'in', 'or', 'and', 'matches', 'contains', 'startsWith', 'endsWith', 'let', 'if', 'else']);
const IDENT_START = /[\p{L}_$]/u;
const IDENT_PART = /[\p{L}\p{Nd}_$]/u;
const SPACE = /\s/;
/** Go's escapes; `\'` and `\"` work in either quote style (expr-lang accepts only the enclosing one). */
const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

/** Splits `src` into tokens ending with an EOF token; throws ExprSyntaxError on a lexical error. */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (msg: string, at: number): never => {
    throw new ExprSyntaxError(msg, src, at);
  };
  const push = (kind: TokenKind, value: string, pos: number): void => {
    tokens.push({ kind, value, pos });
  };
  while (i < src.length) {
    const c = src[i]!;
    const start = i;
    if (SPACE.test(c)) {
      i++;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end === -1) fail('unclosed comment', src.length);
      i = end + 2;
    } else if (c === '"' || c === "'") {
      const [value, next] = readQuoted(src, i, fail);
      push('String', value, start);
      i = next;
    } else if (c === '`') {
      const [value, next] = readRaw(src, i, fail);
      push('String', value, start);
      i = next;
    } else if (isDigit(c) || (c === '.' && isDigit(src[i + 1]))) {
      i = readNumber(src, i, fail);
      push('Number', src.slice(start, i), start);
    } else if (IDENT_START.test(codePointAt(src, i))) {
      while (i < src.length && IDENT_PART.test(codePointAt(src, i))) i += codePointAt(src, i).length;
      const word = src.slice(start, i);
      push(WORD_OPERATORS.has(word) ? 'Operator' : 'Identifier', word, start);
    } else if ('([{)]}'.includes(c)) {
      push('Bracket', c, start);
      i++;
    } else {
      i = readOperator(src, i, push, fail);
    }
  }
  push('EOF', '', src.length);
  return tokens;
}

function readOperator(
  src: string,
  i: number,
  push: (k: TokenKind, v: string, p: number) => void,
  fail: (m: string, at: number) => never,
): number {
  const c = src[i]!;
  const next = src[i + 1] ?? '';
  let op = c;
  if (c === '?' && (next === '.' || next === '?')) op += next;
  else if ((c === '|' && next === '|') || (c === ':' && next === ':') || (c === '.' && next === '.')) op += next;
  else if ('&!=*<>'.includes(c) && '&=*'.includes(next) && next !== '') op += next;
  else if (!'?|:.,;%+-^/#&!=*<>'.includes(c)) {
    const cp = codePointAt(src, i);
    const hex = cp.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    fail(`unrecognized character: U+${hex} ${goQuote(cp, "'")}`, i);
  }
  push('Operator', op, i);
  return i + op.length;
}

/** As expr-lang's scanNumber: 0x/0o/0b prefixes, `_` separators, fraction, exponent. */
function readNumber(src: string, i: number, fail: (m: string, at: number) => never): number {
  const start = i;
  let digits = /[0-9_]/;
  if (src[i] === '0' && /[xXoObB]/.test(src[i + 1] ?? '')) {
    const p = src[i + 1]!.toLowerCase();
    digits = p === 'x' ? /[0-9a-fA-F_]/ : p === 'o' ? /[0-7_]/ : /[01_]/;
    i += 2;
  }
  while (i < src.length && digits.test(src[i]!)) i++;
  if (src[i] === '.' && src[i + 1] !== '.') {
    i++;
    while (i < src.length && digits.test(src[i]!)) i++;
  }
  if (/[eE]/.test(src[i] ?? '') && digits.source === '[0-9_]') {
    i++;
    if (src[i] === '+' || src[i] === '-') i++;
    while (i < src.length && digits.test(src[i]!)) i++;
  }
  if (i < src.length && IDENT_PART.test(codePointAt(src, i))) {
    fail(`bad number syntax: ${goQuote(src.slice(start, i + 1))}`, i);
  }
  return i;
}

function readQuoted(src: string, i: number, fail: (m: string, at: number) => never): [string, number] {
  const quote = src[i]!;
  let out = '';
  i++;
  for (;;) {
    const c = src[i];
    if (c === undefined || c === '\n') return fail('literal not terminated', i);
    if (c === quote) return [out, i + 1];
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = src[i + 1] ?? '';
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      i += 2;
    } else if (e === 'u' && src[i + 2] === '{') {
      const m = /^\{([0-9a-fA-F]{1,6})\}/.exec(src.slice(i + 2));
      if (!m) return fail('invalid char escape', i + 1);
      out += fromCodePoint(parseInt(m[1]!, 16), i, fail);
      i += 2 + m[0].length;
    } else {
      const spec =
        e === 'x'
          ? { n: 2, re: /^[0-9a-fA-F]+$/, base: 16, skip: 2 }
          : e === 'u'
            ? { n: 4, re: /^[0-9a-fA-F]+$/, base: 16, skip: 2 }
            : e === 'U'
              ? { n: 8, re: /^[0-9a-fA-F]+$/, base: 16, skip: 2 }
              : /[0-7]/.test(e)
                ? { n: 3, re: /^[0-7]+$/, base: 8, skip: 1 }
                : undefined;
      const digits = spec ? src.slice(i + spec.skip, i + spec.skip + spec.n) : '';
      if (!spec || digits.length < spec.n || !spec.re.test(digits)) return fail('invalid char escape', i + 1);
      out += fromCodePoint(parseInt(digits, spec.base), i, fail);
      i += spec.skip + spec.n;
    }
  }
}

/** Backquoted raw string: no escapes, a doubled backquote stands for one. */
function readRaw(src: string, i: number, fail: (m: string, at: number) => never): [string, number] {
  let out = '';
  i++;
  for (;;) {
    const c = src[i];
    if (c === undefined) return fail('literal not terminated', i);
    if (c === '`' && src[i + 1] === '`') {
      out += '`';
      i += 2;
    } else if (c === '`') {
      return [out, i + 1];
    } else {
      out += c;
      i++;
    }
  }
}

function fromCodePoint(cp: number, at: number, fail: (m: string, at: number) => never): string {
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) fail('invalid char escape', at);
  return String.fromCodePoint(cp);
}

function codePointAt(s: string, i: number): string {
  return String.fromCodePoint(s.codePointAt(i)!);
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}
