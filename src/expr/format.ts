/**
 * Go's textual forms of numbers and values that the engine needs: strconv.FormatFloat ('e', 'f', 'g',
 * shortest or with a precision, rounding half-to-even on the exact binary value), and fmt's `%v`.
 * strconv.Quote is shared with the rest of Lapis, in `../go-format.ts`.
 */
import { asNum, isNil } from './values.js';

/** Decimal digits `d` (no leading zeros) and the decimal point position `dp`: value = 0.d × 10^dp. */
interface Decimal {
  d: string;
  dp: number;
}

/** The exact decimal expansion of a finite, non-negative double. */
function exactDecimal(x: number): Decimal {
  if (x === 0) return { d: '', dp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & 0xfffffffffffffn;
  let e2 = biased - 1075;
  if (biased === 0) e2 = -1074;
  else mant |= 1n << 52n;
  let digits: string;
  let scale = 0;
  if (e2 >= 0) digits = (mant << BigInt(e2)).toString();
  else {
    scale = -e2;
    digits = (mant * 5n ** BigInt(scale)).toString();
  }
  const trimmed = digits.replace(/0+$/, '');
  return { d: trimmed, dp: digits.length - scale };
}

/** Rounds to `nd` significant digits, half to even (the expansion is exact, so ties are real ties). */
function round(dec: Decimal, nd: number): Decimal {
  if (nd < 0) return { d: '', dp: dec.dp };
  if (nd >= dec.d.length) return dec;
  const next = dec.d[nd]!;
  const up = next > '5' || (next === '5' && (nd + 1 < dec.d.length || (nd > 0 && Number(dec.d[nd - 1]) % 2 === 1)));
  let d = dec.d.slice(0, nd);
  let dp = dec.dp;
  if (up) {
    let i = d.length - 1;
    while (i >= 0 && d[i] === '9') i--;
    if (i < 0) {
      d = '1';
      dp++;
    } else d = d.slice(0, i) + String(Number(d[i]) + 1);
  }
  return { d: d.replace(/0+$/, ''), dp };
}

function digitAt(dec: Decimal, i: number): string {
  return i >= 0 && i < dec.d.length ? dec.d[i]! : '0';
}

function fmtE(dec: Decimal, prec: number, verb: string): string {
  let out = digitAt(dec, 0);
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) out += digitAt(dec, i);
  }
  const exp = dec.d === '' ? 0 : dec.dp - 1;
  const abs = Math.abs(exp);
  return `${out}${verb === 'E' || verb === 'G' ? 'E' : 'e'}${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
}

function fmtF(dec: Decimal, prec: number): string {
  let out = '';
  if (dec.dp > 0) for (let i = 0; i < dec.dp; i++) out += digitAt(dec, i);
  else out = '0';
  if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) out += digitAt(dec, dec.dp + i);
  }
  return out;
}

/** The shortest round-tripping digits, as JS and Go both compute them. */
function shortest(x: number): Decimal {
  const [mantissa, exp] = x.toExponential().split('e');
  const d = mantissa!.replace('.', '').replace(/0+$/, '');
  return d === '' ? { d: '', dp: 0 } : { d, dp: Number(exp) + 1 };
}

/**
 * strconv.FormatFloat(x, verb, prec, 64) for verb e/E/f/g/G; `prec < 0` means shortest.
 * Infinities come out as `+Inf`/`-Inf` as fmt prints them.
 */
export function formatFloat(x: number, verb: string, prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const abs = Math.abs(x);
  const lower = verb.toLowerCase();
  let dec: Decimal;
  if (prec < 0) dec = shortest(abs);
  else {
    const exact = exactDecimal(abs);
    if (lower === 'e') dec = round(exact, prec + 1);
    else if (lower === 'f') dec = round(exact, exact.dp + prec);
    else dec = round(exact, prec === 0 ? 1 : prec);
  }
  if (lower === 'e') return sign + fmtE(dec, prec < 0 ? Math.max(dec.d.length - 1, 0) : prec, verb);
  if (lower === 'f') return sign + fmtF(dec, prec < 0 ? Math.max(dec.d.length - dec.dp, 0) : prec);
  // 'g': exponent form when the exponent is < -4 or >= the precision (6 when shortest).
  let p = prec < 0 ? dec.d.length : prec === 0 ? 1 : prec;
  let eprec = p;
  if (eprec > dec.d.length && dec.d.length >= dec.dp) eprec = dec.d.length;
  if (prec < 0) eprec = 6;
  const exp = dec.dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (p > dec.d.length) p = dec.d.length;
    return sign + fmtE(dec, Math.max(p - 1, 0), verb === 'G' ? 'E' : 'e');
  }
  if (p > dec.dp) p = dec.d.length;
  return sign + fmtF(dec, Math.max(p - dec.dp, 0));
}

/** fmt's `%v` of an engine value. */
export function formatValue(v: unknown, depth = 0): string {
  if (isNil(v)) return '<nil>';
  const n = asNum(v);
  if (n) return n.float ? formatFloat(n.n, 'g', -1) : String(n.n);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return 'func';
  if (depth > 8) return '...';
  if (Array.isArray(v)) return `[${v.map((e) => formatValue(e, depth + 1)).join(' ')}]`;
  const entries = entriesOf(v);
  if (entries) return `map[${entries.map(([k, e]) => `${formatValue(k, depth + 1)}:${formatValue(e, depth + 1)}`).join(' ')}]`;
  return String(v);
}

/** Key/value pairs of a map-like value, sorted by key as fmt sorts map keys; undefined if not map-like. */
export function entriesOf(v: unknown): [unknown, unknown][] | undefined {
  let entries: [unknown, unknown][];
  if (v instanceof Map) entries = [...v.entries()];
  else if (typeof v === 'object' && v !== null) entries = Object.entries(v);
  else return undefined;
  return entries.sort(([a], [b]) => {
    const x = asNum(a);
    const y = asNum(b);
    if (x && y) return x.n - y.n;
    return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  });
}
