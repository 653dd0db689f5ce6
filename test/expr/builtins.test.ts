import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compile, ExprRuntimeError } from '../../src/expr/index.js';

const run = (src: string, env: Record<string, unknown> = {}): unknown => compile(src).run(env);

describe('built-in functions', () => {
  const env = {
    m: new Map([
      ['a', 1],
      ['b', 2],
    ]),
    s: '  padded  ',
  };
  const cases: [string, unknown][] = [
    ['len("abc")', 3],
    ['len("é")', 2], // UTF-8 bytes, as Go
    ['len("")', 0],
    ['len([1, 2])', 2],
    ['len({"a": 1})', 1],
    ['len(m)', 2],
    ['upper("abc")', 'ABC'],
    ['lower("ABC")', 'abc'],
    ['trim(s)', 'padded'],
    ['trim("  a b \\n")', 'a b'],
    ['trim("xxaxx", "x")', 'a'],
    ['trim("abcba", "ab")', 'c'],
    ['trimPrefix("prefix-x", "prefix-")', 'x'],
    ['trimPrefix("x", "prefix-")', 'x'],
    ['trimPrefix(" a")', 'a'],
    ['trimSuffix("a.log", ".log")', 'a'],
    ['trimSuffix("a ")', 'a'],
    ['split("a,b,c", ",")', ['a', 'b', 'c']],
    ['split("a,b,c", ",", 2)', ['a', 'b,c']],
    ['split("a,b,c", ",", -1)', ['a', 'b', 'c']],
    ['split("a", ",", 0)', []],
    ['split("abc", "")', ['a', 'b', 'c']],
    ['split("", ",")', ['']],
    ['join(["a", "b"], "-")', 'a-b'],
    ['join(["a", "b"])', 'ab'],
    ['join([], ",")', ''],
    ['replace("a-b-c", "-", "+")', 'a+b+c'],
    ['replace("ab", "", "-")', '-a-b-'],
    ['abs(-3)', 3],
    ['abs(3)', 3],
    ['abs(-2.5)', 2.5],
    ['Sprintf("%T", abs(-2.0))', 'float64'],
    ['int("42")', 42],
    ['int("-7")', -7],
    ['int(3.9)', 3],
    ['int(-3.9)', -3],
    ['Sprintf("%T", int(2.5))', 'int'],
    ['float("1.5")', 1.5],
    ['float(2) / 4', 0.5],
    ['Sprintf("%T", float(2))', 'float64'],
    ['string(1.5)', '1.5'],
    ['string(42)', '42'],
    ['string([1, "a"])', '[1 a]'],
    ['string(nil)', '<nil>'],
    ['string({"b": 1, "a": true})', 'map[a:true b:1]'],
    ['Sprintf("%s-%d", "a", 1)', 'a-1'],
    ['Sprintf("plain")', 'plain'],
  ];
  for (const [src, expected] of cases) {
    test(src, () => assert.deepEqual(run(src, env), expected));
  }

  test('a built-in wins over an env function of the same name, as in expr-lang', () => {
    assert.equal(run('len("ab")', { len: () => 99 }), 2);
  });

  test('env functions of other names are called', () => {
    assert.equal(run('Double(21)', { Double: (n: number) => n * 2 }), 42);
  });
});

describe('built-in argument errors', () => {
  const cases: [string, string][] = [
    ['len(1)', 'invalid argument for len (type int)'],
    ['len(nil)', 'invalid argument for len (type <nil>)'],
    ['len()', 'invalid number of arguments for len (expected 1, got 0)'],
    ['len("a", "b")', 'invalid number of arguments for len (expected 1, got 2)'],
    ['upper(1)', 'cannot use int as argument (type string) to call upper'],
    ['lower(nil)', 'cannot use <nil> as argument (type string) to call lower'],
    ['trim("a", "b", "c")', 'invalid number of arguments for trim (expected 1 or 2, got 3)'],
    ['split("a")', 'invalid number of arguments for split (expected 2 or 3, got 1)'],
    ['split("a", ",", "x")', 'cannot use string as argument (type int) to call split'],
    ['join("a")', 'invalid argument for join (type string)'],
    ['join([1])', 'cannot use int as argument (type string) to call join'],
    ['replace("a", "b")', 'invalid number of arguments for replace (expected 3, got 2)'],
    ['abs("a")', 'invalid argument for abs (type string)'],
    ['int("x")', 'strconv.Atoi: parsing "x": invalid syntax'],
    ['int(true)', 'invalid operation: int(bool)'],
    ['float("abc")', 'strconv.ParseFloat: parsing "abc": invalid syntax'],
    ['float(" 1")', 'strconv.ParseFloat: parsing " 1": invalid syntax'],
    ['float(nil)', 'invalid operation: float(<nil>)'],
    ['Sprintf()', 'invalid number of arguments for Sprintf (expected at least 1, got 0)'],
    ['Sprintf(1)', 'cannot use int as argument (type string) to call Sprintf'],
  ];
  for (const [src, reason] of cases) {
    test(src, () => {
      assert.throws(
        () => run(src),
        (err: unknown) => err instanceof ExprRuntimeError && err.reason === reason && err.column === 1,
      );
    });
  }
});
