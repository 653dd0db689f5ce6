/**
 * `matches` uses Go's regexp (RE2 syntax). We run JS RegExp after a light translation so that common
 * RE2 patterns mean the same thing, and we reject what RE2 rejects (lookaround, backreferences):
 * - a leading `(?i)`, `(?m)`, `(?s)` (any mix) becomes a JS flag; other flag groups are refused;
 * - `(?P<name>…)` → `(?<name>…)`; `\A` and `\z` → start and end of text; `\Q…\E` → literal text;
 * - `\s` → `[\t\n\f\r ]` (RE2's ASCII set); `.` → `[^\n]` (RE2 lets `.` match `\r`);
 * - POSIX classes `[[:alpha:]]` etc.; `\pL`/`\p{Greek}` switch on the `u` flag.
 * Known gaps: `(?U)`, mid-pattern flag groups, `\C`; `\w`/`\b`/`\d` are ASCII as in RE2 except under `iu`.
 */

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** Compiles an RE2 pattern; throws an Error whose message starts with `error parsing regexp:`. */
export function compileGoRegexp(pattern: string): RegExp {
  const fail = (why: string): never => {
    throw new Error(`error parsing regexp: ${why}`);
  };
  let flags = '';
  let i = 0;
  const lead = /^\(\?([imsU]+)\)/.exec(pattern);
  if (lead) {
    if (lead[1]!.includes('U')) fail('the ungreedy flag (?U) is not supported');
    flags = [...new Set(lead[1])].join('');
    i = lead[0].length;
  }
  let out = '';
  let inClass = false;
  let unicode = false;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      const e = pattern[i + 1];
      if (e === undefined) fail('trailing backslash at end of expression');
      if (e === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const literal = pattern.slice(i + 2, end === -1 ? pattern.length : end);
        out += literal.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
        i = end === -1 ? pattern.length : end + 2;
        continue;
      }
      if (/[1-9]/.test(e!) || e === 'C' || e === 'k') fail(`invalid escape sequence: \`\\${e}\``);
      if (e === 'p' || e === 'P') {
        unicode = true;
        const named = /^\{([A-Za-z_]+)\}/.exec(pattern.slice(i + 2));
        const name = named ? named[1]! : (pattern[i + 2] ?? '');
        // RE2 names a script bare (\p{Greek}); JS wants Script= for anything but a general category.
        out += `\\${e}{${name.length <= 2 ? name : `Script=${name}`}}`;
        i += 2 + (named ? named[0].length : 1);
        continue;
      }
      if (!inClass && e === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && e === 'z') out += '(?![\\s\\S])';
      else if (e === 's') out += inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]';
      else if (!inClass && e === 'S') out += '[^\\t\\n\\f\\r ]';
      else out += `\\${e}`;
      i += 2;
      continue;
    }
    if (inClass) {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(pattern.slice(i));
      if (posix) {
        const set = POSIX[posix[2]!];
        if (set === undefined || posix[1] === '^') fail(`invalid character class range: \`${posix[0]}\``);
        out += set;
        i += posix[0].length;
        continue;
      }
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i++;
      if (pattern[i] === '^') out += pattern[i++];
      if (pattern[i] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i);
      if (rest.startsWith('(?P<')) {
        out += '(?<';
        i += 4;
        continue;
      }
      if (rest.startsWith('(?:') || (rest.startsWith('(?<') && !/^\(\?<[=!]/.test(rest))) {
        out += rest.startsWith('(?:') ? '(?:' : '(?<';
        i += 3;
        continue;
      }
      fail(`invalid or unsupported Perl syntax: \`${rest.slice(0, 3)}\``);
    }
    out += c === '.' && !flags.includes('s') ? '[^\\n]' : c;
    i++;
  }
  if (inClass) fail(`missing closing ]: \`${pattern}\``);
  try {
    return new RegExp(out, flags + (unicode ? 'u' : ''));
  } catch (err) {
    return fail((err as Error).message.replace(/^Invalid regular expression: /, ''));
  }
}

const cache = new Map<string, RegExp>();
const CACHE_LIMIT = 256;

/** compileGoRegexp with a small cache, for patterns only known at run time. */
export function cachedGoRegexp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re === undefined) {
    re = compileGoRegexp(pattern);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(pattern, re);
  }
  return re;
}
