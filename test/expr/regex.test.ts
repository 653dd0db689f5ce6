import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cachedGoRegexp, compileGoRegexp } from '../../src/expr/regex.js';

describe('RE2 patterns on JS RegExp', () => {
  const cases: [pattern: string, input: string, matches: boolean][] = [
    ['^crowdsecurity/', 'crowdsecurity/ssh-bf', true],
    ['ssh', 'crowdsecurity/ssh-bf', true], // unanchored, as regexp.MatchString
    ['(?i)SSH', 'crowdsecurity/ssh-bf', true],
    ['(?is)a.b', 'A\nB', true],
    ['(?m)^b$', 'a\nb\nc', true],
    ['^b$', 'a\nb\nc', false],
    ['a.b', 'a\nb', false],
    ['a.b', 'a\rb', true], // RE2's . only excludes \n
    ['\\Aab\\z', 'ab', true],
    ['\\Aab\\z', 'ab\n', false],
    ['(?m)\\Ab', 'a\nb', false],
    ['a\\sb', 'a\tb', true],
    ['a\\sb', 'a\u00a0b', false], // RE2's \s is ASCII
    ['a\\Sb', 'a-b', true],
    ['[\\s,]+', ' , ', true],
    ['(?P<ip>\\d+)\\.', '10.', true],
    ['(?<ip>\\d+)', '10', true],
    ['(?:ab)+', 'abab', true],
    ['[[:alpha:]]+[[:digit:]]', 'abc1', true],
    ['^[[:xdigit:]]+$', 'c0ffee', true],
    ['^[[:xdigit:]]+$', 'coffee', false],
    ['[^[:space:]]', '   ', false],
    ['[]a]', ']', true],
    ['[^]a]', 'a', false],
    ['\\Q1.2.3.4\\E', '1x2.3.4', false],
    ['\\Q1.2.3.4\\E', '1.2.3.4', true],
    ['\\Qa+', 'a+', true],
    ['\\p{Greek}', 'αβ', true],
    ['\\pL', '1é', true],
    ['\\PL', 'é', false],
    ['a{2}', 'aa', true],
  ];
  for (const [pattern, input, expected] of cases) {
    test(`${pattern} on ${JSON.stringify(input)}`, () => assert.equal(compileGoRegexp(pattern).test(input), expected));
  }
});

describe('what RE2 refuses is refused', () => {
  const cases: [pattern: string, message: string][] = [
    ['(?=a)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
    ['(?!a)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?!`'],
    ['(?<=a)b', 'error parsing regexp: invalid or unsupported Perl syntax: `(?<`'],
    ['(?<!a)b', 'error parsing regexp: invalid or unsupported Perl syntax: `(?<`'],
    ['a(?i)b', 'error parsing regexp: invalid or unsupported Perl syntax: `(?i`'],
    ['(a)\\1', 'error parsing regexp: invalid escape sequence: `\\1`'],
    ['(?U)a+', 'error parsing regexp: the ungreedy flag (?U) is not supported'],
    ['[[:nope:]]', 'error parsing regexp: invalid character class range: `[:nope:]`'],
    ['[a', 'error parsing regexp: missing closing ]: `[a`'],
    ['a\\', 'error parsing regexp: trailing backslash at end of expression'],
  ];
  for (const [pattern, message] of cases) {
    test(pattern, () => assert.throws(() => compileGoRegexp(pattern), { message }));
  }

  test('an error from the JS engine keeps the RE2 prefix', () => {
    assert.throws(
      () => compileGoRegexp('(ab'),
      (err: unknown) => err instanceof Error && err.message.startsWith('error parsing regexp: '),
    );
  });
});

describe('cachedGoRegexp', () => {
  test('compiles a pattern once', () => {
    assert.equal(cachedGoRegexp('^cache-me$'), cachedGoRegexp('^cache-me$'));
    assert.notEqual(cachedGoRegexp('^a$'), cachedGoRegexp('^b$'));
  });

  test('does not cache a failure', () => {
    assert.throws(() => cachedGoRegexp('('));
    assert.throws(() => cachedGoRegexp('('));
  });
});
