/**
 * Go's fmt.Sprintf over engine values (CrowdSec's `Sprintf` helper is `fmt.Sprintf(format, params[1:]...)`).
 * Verbs: %v %d %s %q %x %X %o %b %c %U %t %e %E %f %F %g %G %T %%, with flags `+ - # 0 space`, width and
 * precision (digits or `*`). Misuse prints Go's markers: `%!d(string=x)`, `%!d(MISSING)`,
 * `%!(EXTRA int=1)`, `%!(NOVERB)`, `%!(BADWIDTH)`, `%!(BADPREC)`.
 */
import { goQuote } from '../go-format.js';
import { entriesOf, formatFloat, formatValue } from './format.js';
import { asNum, isNil, typeName } from './values.js';

interface Spec {
  verb: string;
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  width?: number;
  prec?: number;
}

/** fmt.Sprintf(format, ...args); never throws. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  const takeNumber = (): number | undefined => {
    if (format[i] === '*') {
      i++;
      const n = asNum(args[argi]);
      argi++;
      return n && !n.float ? n.n : NaN;
    }
    const m = /^\d+/.exec(format.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return Number(m[0]);
  };
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct === -1) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { verb: '', plus: false, minus: false, sharp: false, zero: false, space: false };
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === '+') spec.plus = true;
      else if (f === '-') spec.minus = true;
      else if (f === '#') spec.sharp = true;
      else if (f === '0') spec.zero = true;
      else if (f === ' ') spec.space = true;
      else break;
    }
    spec.width = takeNumber();
    if (spec.width !== undefined && spec.width < 0) {
      spec.minus = true;
      spec.width = -spec.width;
    }
    if (Number.isNaN(spec.width)) {
      out += '%!(BADWIDTH)';
      spec.width = undefined;
    }
    if (format[i] === '.') {
      i++;
      spec.prec = takeNumber() ?? 0;
      if (Number.isNaN(spec.prec) || spec.prec < 0) {
        out += '%!(BADPREC)';
        spec.prec = undefined;
      }
    }
    const verb = String.fromCodePoint(format.codePointAt(i) ?? 0);
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    i += verb.length;
    spec.verb = verb;
    if (verb === '%') out += '%';
    else if (argi >= args.length) out += `%!${verb}(MISSING)`;
    else out += formatArg(args[argi++], spec);
  }
  if (argi < args.length) {
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => (isNil(a) ? '<nil>' : `${typeName(a)}=${formatValue(a)}`))
      .join(', ')})`;
  }
  return out;
}

function formatArg(v: unknown, spec: Spec): string {
  const { verb } = spec;
  if (verb === 'T') return pad(typeName(v), spec);
  if (isNil(v)) return verb === 'v' ? pad('<nil>', spec) : `%!${verb}(<nil>)`;
  if (Array.isArray(v)) return `[${v.map((e) => formatArg(e, spec)).join(' ')}]`;
  const n = asNum(v);
  if (n && !n.float && 'bcdoOqxXUv'.includes(verb)) return formatInt(n.n, spec);
  if (n?.float && 'eEfFgGv'.includes(verb)) return formatFloatArg(n.n, spec);
  if (typeof v === 'string' && 'sqvxX'.includes(verb)) return formatString(v, spec);
  if (typeof v === 'boolean' && 'tv'.includes(verb)) return pad(String(v), spec);
  if (!n && typeof v === 'object' && verb !== 'v') {
    const entries = entriesOf(v);
    if (entries) return `map[${entries.map(([k, e]) => `${formatArg(k, spec)}:${formatArg(e, spec)}`).join(' ')}]`;
  }
  if (verb === 'v') return pad(formatValue(v), spec);
  return `%!${verb}(${typeName(v)}=${formatValue(v)})`;
}

function formatInt(n: number, spec: Spec): string {
  const { verb } = spec;
  if (verb === 'c') return pad(String.fromCodePoint(validRune(n)), spec);
  if (verb === 'q') return pad(goQuote(String.fromCodePoint(validRune(n)), "'"), spec);
  if (verb === 'U') return pad(`U+${Math.abs(n).toString(16).toUpperCase().padStart(4, '0')}`, spec);
  const base = verb === 'b' ? 2 : verb === 'o' || verb === 'O' ? 8 : verb === 'x' || verb === 'X' ? 16 : 10;
  let digits = Math.abs(n).toString(base);
  if (verb === 'X') digits = digits.toUpperCase();
  const sign = n < 0 ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  let prefix = '';
  if (verb === 'O' || (spec.sharp && verb === 'o' && !digits.startsWith('0'))) prefix = verb === 'O' ? '0o' : '0';
  else if (spec.sharp && base !== 10 && base !== 8) prefix = verb === 'X' ? '0X' : verb === 'x' ? '0x' : '0b';
  let prec = spec.prec;
  if (prec === undefined && spec.zero && !spec.minus && spec.width !== undefined) {
    prec = spec.width - sign.length; // as fmt: the 0x prefix is not counted (`%#06x` of 1 is 0x000001)
  }
  if (prec !== undefined) {
    if (prec === 0 && n === 0) digits = '';
    digits = digits.padStart(prec, '0');
  }
  return pad(sign + prefix + digits, { ...spec, zero: false });
}

/** Go maps an invalid code point to U+FFFD. */
function validRune(n: number): number {
  return n < 0 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff) ? 0xfffd : n;
}

function formatFloatArg(x: number, spec: Spec): string {
  const verb = spec.verb === 'v' ? 'g' : spec.verb === 'F' ? 'f' : spec.verb;
  const prec = spec.prec ?? (verb === 'g' || verb === 'G' ? -1 : 6);
  let num = formatFloat(x, verb, prec);
  if (num === 'NaN' || num.endsWith('Inf')) {
    if (num === 'NaN' && (spec.plus || spec.space)) num = `${spec.plus ? '+' : ' '}NaN`;
    return pad(num, { ...spec, zero: false });
  }
  const sign = num.startsWith('-') ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  if (num.startsWith('-')) num = num.slice(1);
  if (spec.zero && !spec.minus && spec.width !== undefined && spec.width > sign.length + num.length) {
    return sign + '0'.repeat(spec.width - sign.length - num.length) + num;
  }
  return pad(sign + num, { ...spec, zero: false });
}

function formatString(s: string, spec: Spec): string {
  let text = spec.prec !== undefined ? [...s].slice(0, spec.prec).join('') : s;
  if (spec.verb === 'q') text = goQuote(text);
  else if (spec.verb === 'x' || spec.verb === 'X') {
    text = Buffer.from(text, 'utf8').toString('hex');
    if (spec.verb === 'X') text = text.toUpperCase();
  }
  return pad(text, spec);
}

/** Pads to the width in runes: spaces on the left, on the right with `-`, or zeros with `0`. */
function pad(s: string, spec: Spec): string {
  const missing = (spec.width ?? 0) - [...s].length;
  if (missing <= 0) return s;
  if (spec.minus) return s + ' '.repeat(missing);
  return (spec.zero ? '0' : ' ').repeat(missing) + s;
}
