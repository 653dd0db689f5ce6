import fc from 'fast-check';

/**
 * Hostile values: what a confused or malicious client puts where a field, a query value or a path
 * segment is expected. NUL (U+0000) in strings, which PostgreSQL refuses in text, is among them: the body
 * parser and the parameter hook refuse it up front on every engine.
 */
/** Strings with NUL, where plausible ones go. */
export const NUL_TEXTS: string[] = ['\u0000', 'a\u0000b'];

export const BAD_IPS = [
  '1.2.3.256',
  '1.2.3',
  '1.2.3.4.5',
  '01.2.3.4',
  '::g',
  ':::',
  '1.2.3.4/33',
  '1.2.3.4/-1',
  '1.2.3.4/',
  '/24',
  '0.0.0.0/0',
  '::/0',
  '::ffff:1.2.3.4',
  'fe80::1%eth0',
  '1.2.3.4 ',
  ' 1.2.3.4',
  '2001:db8::/129',
  '999999999999',
  '0x7f.1',
  'localhost',
  '1.2.3.4/24/8',
];
export const DURATIONS = [
  '1.5ms',
  '0.5ms',
  '1.000001s',
  '1ns',
  '999us',
  '-1.5ms',
  '-1h',
  '99999999999h',
  '0',
  '0s',
  '-',
  '1d',
  '-1d2h',
  '1e3s',
  '.5h',
  '1h-1m',
  '2562047h47m16.854775807s',
  '2562048h',
  '106751d',
  '106752d',
  '9223372036854775807ns',
  '1µs',
  '1us',
  'h',
  '4h ',
  '1.000000001s',
  '+1h',
  '1d1d',
  '1ms1ms1ms',
];
export const DATES = [
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '2024-02-30T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '2024-13-01T00:00:00Z',
  '2024-01-01T25:00:00Z',
  '2024-01-01',
  '1970-01-01T00:00:00.000000001Z',
  '2024-01-01T00:00:00+99:99',
  'yesterday',
];
export const SCOPES = [
  'Ip',
  'Range',
  'ip',
  'range',
  'IP',
  'Country',
  'AS',
  'Username',
  'session',
  '',
  ' ',
  'Ip ',
  'lists:x',
  'crowdsecurity/community-blocklist',
];
const NUMBERS = [
  0,
  -1,
  1.5,
  -0.5,
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31) - 1,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 63,
  -(2 ** 63),
  1e300,
  -1e300,
  1e-300,
  5e-324,
];
const TEXTS = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
  '',
  ' ',
  '0',
  '-1',
  '[]',
  '{}',
  'null',
  'true',
  '%00',
  '%',
  '\\',
  '"',
  "'",
  '${x}',
  '{{.}}',
  '../../etc/passwd',
];

/** A long string: past every column width, some of it multi-byte. */
export const longString = fc
  .tuple(fc.integer({ min: 200, max: 5000 }), fc.constantFrom('x', 'é', '€', '𝄞', '%', ' '))
  .map(([n, c]) => c.repeat(n));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.constantFrom(...BAD_IPS, ...DURATIONS, ...DATES, ...SCOPES, ...TEXTS, ...NUL_TEXTS),
  fc.ipV4(),
  fc.ipV6(),
  fc.ipV4Extended(),
  fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: -1, max: 130 })).map(([ip, n]) => `${ip}/${n}`),
  longString,
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(...NUMBERS),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(Number),
);

/** Any JSON value a field could be given instead of the right one. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(null, true, false), weight: 2 },
  { arbitrary: hostileNumber, weight: 3 },
  { arbitrary: hostileString, weight: 4 },
  { arbitrary: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }), weight: 1 },
  { arbitrary: fc.dictionary(hostileString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), weight: 1 },
);

type Json = unknown;

/** Every path into a JSON value (the root included), as lists of keys and indices. */
function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) for (const [i, x] of v.entries()) paths(x, [...at, i], out);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

/** One change to a valid value: a field replaced, removed or added, or the root swapped. */
function apply(v: Json, path: (string | number)[], op: 'replace' | 'delete' | 'add', key: string, value: unknown): Json {
  const root = structuredClone(v);
  if (path.length === 0)
    return op === 'add' && root && typeof root === 'object' && !Array.isArray(root) ? { ...root, [key]: value } : value;
  // biome-ignore lint/suspicious/noExplicitAny: walks arbitrary JSON by path
  const parent = path.slice(0, -1).reduce<any>((o, k) => o[k], root);
  const last = path[path.length - 1]!;
  if (op === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (op === 'add' && parent[last] && typeof parent[last] === 'object' && !Array.isArray(parent[last])) {
    Object.defineProperty(parent[last], key, { value, enumerable: true, configurable: true, writable: true });
  } else parent[last] = value;
  return root;
}

/** A valid value with one field mutated. */
export function mutated(valid: fc.Arbitrary<Json>): fc.Arbitrary<Json> {
  return valid.chain((v) => {
    const all = paths(v);
    return fc
      .tuple(
        fc.nat(all.length - 1),
        fc.constantFrom('replace', 'delete', 'add') as fc.Arbitrary<'replace' | 'delete' | 'add'>,
        fc.oneof(fc.constantFrom('id', 'created_at', '__proto__', 'constructor', 'x'), hostileString),
        hostileValue,
      )
      .map(([i, op, key, value]) => apply(v, all[i]!, op, key, value));
  });
}

/**
 * A request body: mostly a valid one with one field mutated, else valid as is, random JSON, the valid
 * value wrapped in an array (or unwrapped), empty, or not JSON at all.
 */
export function body(valid: fc.Arbitrary<Json>): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: mutated(valid).map((v) => JSON.stringify(v) ?? ''), weight: 6 },
    { arbitrary: valid.map((v) => JSON.stringify(v)), weight: 3 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), weight: 1 },
    { arbitrary: valid.map((v) => JSON.stringify(Array.isArray(v) ? (v[0] ?? {}) : [v])), weight: 1 },
    { arbitrary: fc.constantFrom('', ' ', '\n', 'null', '[]', '{}', '""', '0'), weight: 1 },
    { arbitrary: valid.chain((v) => fc.nat().map((n) => JSON.stringify(v).slice(0, n % (JSON.stringify(v).length + 1)))), weight: 1 },
    { arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 60 }), weight: 1 },
  );
}

/**
 * A path segment: a plausible one, or garbage (dot segments, very long, unicode, bad escapes, invalid
 * UTF-8), always percent-encoded: raw bytes past ASCII make the request itself malformed, which
 * http-abuse.test.ts sends over a raw socket.
 */
export function segment(plausible: fc.Arbitrary<string>): fc.Arbitrary<string> {
  // at most 3,000 characters (a cut escape included): two segments and a query stay below node's header limit
  const cut = (s: string) => s.slice(0, 3000);
  return fc.oneof(
    { arbitrary: plausible.map((v) => cut(encodeURIComponent(v))), weight: 4 },
    { arbitrary: hostileString.map((v) => cut(encodeURIComponent(v))), weight: 3 },
    {
      arbitrary: fc.constantFrom(
        '%2e%2e',
        '..',
        '.',
        '%2e',
        '%2F',
        '%',
        '%zz',
        '%c0%af',
        '%ff%fe',
        '%ed%a0%80',
        '%E9',
        '-1',
        '0',
        '00001',
        '1e3',
        '9'.repeat(30),
      ),
      weight: 2,
    },
    { arbitrary: fc.integer({ min: 256, max: 3000 }).map((n) => 'a'.repeat(n)), weight: 1 },
  );
}

/** Query values by kind: what a parameter of that kind may be given, plausible first, then hostile. */
export const queryValue = {
  int: fc.oneof(
    fc.nat(300).map(String),
    fc.constantFrom('-1', '0', '1.5', '1e3', '0x10', '99999999999999999999', '2147483648', '9007199254740993', 'abc', ''),
  ),
  bool: fc.constantFrom('true', 'false', '1', '0', 't', 'F', 'TRUE', 'True', 'maybe', 'yes', ''),
  duration: fc.oneof(
    fc.constantFrom(...DURATIONS),
    fc
      .tuple(fc.double({ min: -1e7, max: 1e7, noNaN: true }), fc.constantFrom('ns', 'us', 'ms', 's', 'm', 'h', 'd', ''))
      .map(([n, u]) => `${n}${u}`),
  ),
  ip: fc.oneof(
    fc.ipV4(),
    fc.ipV6(),
    fc.constantFrom(...BAD_IPS),
    fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: -1, max: 130 })).map(([ip, n]) => `${ip}/${n}`),
  ),
  scope: fc.oneof(
    fc.constantFrom(...SCOPES),
    fc.array(fc.constantFrom(...SCOPES), { maxLength: 4 }).map((xs) => xs.join(',')),
  ),
  text: fc.oneof(
    fc.stringMatching(/^[a-z][a-z0-9_/-]{0,15}$/),
    fc.constantFrom('ban', 'captcha', 'crowdsec', 'cscli', 'CAPI', 'lists', 'ASC', 'DESC', 'Ip', 'Range', ...NUL_TEXTS),
  ),
};
export type QueryKinds = Record<string, fc.Arbitrary<string>>;

/**
 * A query string: known keys with values of their kind (or hostile ones), random keys, repeated keys,
 * and sometimes raw junk (bad escapes, empty pairs).
 */
export function query(keys: QueryKinds): fc.Arbitrary<string> {
  const names = Object.keys(keys);
  const known = fc
    .constantFrom(...names)
    .chain((k) => fc.tuple(fc.constant(k), fc.oneof({ arbitrary: keys[k]!, weight: 4 }, { arbitrary: hostileString, weight: 1 })));
  const random = fc.tuple(hostileString, hostileString);
  const pair = fc.oneof({ arbitrary: known, weight: 5 }, { arbitrary: random, weight: 1 });
  const junk = fc.constantFrom('', '&', '&&', '=', '==', '%', '%zz', '+', '%c0%af', '%E9', '[]', 'a[b]=c');
  return fc.tuple(fc.array(pair, { maxLength: 6 }), junk).map(([pairs, j]) => {
    const q = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
    const all = [q, j].filter((s) => s !== '').join('&');
    return all === '' ? '' : `?${all}`;
  });
}
