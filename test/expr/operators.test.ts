import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compile, ExprRuntimeError } from '../../src/expr/index.js';

const run = (src: string, env: Record<string, unknown> = {}): unknown => compile(src).run(env);
const typeOf = (src: string, env: Record<string, unknown> = {}): unknown => run(`Sprintf("%T", ${src})`, env);

function table(cases: [string, unknown][], env: Record<string, unknown> = {}): void {
  for (const [src, expected] of cases) {
    test(src, () => assert.deepEqual(run(src, env), expected));
  }
}

describe('equality: numeric across int/float, never a type error', () => {
  table(
    [
      ['1 == 1.0', true],
      ['1 != 1.0', false],
      ['2 == 2.5', false],
      ['"a" == "a"', true],
      ['"a" != "b"', true],
      ['"1" == 1', false],
      ['nil == nil', true],
      ['nil == false', false],
      ['x == nil', true],
      ['true != false', true],
      ['[1, 2] == [1, 2.0]', true],
      ['[1, 2] == [2, 1]', false],
      ['{"a": 1} == {"a": 1}', true],
      ['{"a": 1} == {"a": 2}', false],
    ],
    { x: null },
  );
});

describe('ordering: two numbers or two strings', () => {
  table([
    ['1 < 2', true],
    ['2 <= 2', true],
    ['3 > 2.5', true],
    ['2.5 >= 3', false],
    ['"abc" < "abd"', true],
    ['"B" < "a"', true],
    ['"10" < "9"', true],
    ['"b" >= "b"', true],
    ['0 / 0 < 1', false],
    ['0 / 0 >= 1', false],
  ]);
});

describe('arithmetic: ints stay ints, / and ** give floats', () => {
  table([
    ['7 / 2', 3.5],
    ['4 / 2', 2],
    ['-7 % 3', -1],
    ['7 % -3', 1],
    ['-4 % 2', 0],
    ['2 + 3 * 4 - 1', 13],
    ['1.5 + 1.5', 3],
    ['0.1 + 0.2', 0.30000000000000004],
    ['"a" + "b"', 'ab'],
    ['1 / 0', Infinity],
    ['-1 / 0', -Infinity],
    ['2 ** -1', 0.5],
    ['-(3)', -3],
    ['+3', 3],
    ['- 2.5', -2.5],
    ['1..3', [1, 2, 3]],
    ['3..1', []],
  ]);
  const types: [string, string][] = [
    ['2 + 3', 'int'],
    ['2 * 3', 'int'],
    ['7 % 3', 'int'],
    ['-2', 'int'],
    ['2 + 3.0', 'float64'],
    ['2 * 1.5', 'float64'],
    ['4 / 2', 'float64'],
    ['2 ** 2', 'float64'],
    ['-2.0', 'float64'],
    ['n / 2', 'float64'],
    ['n + 1', 'int'],
    ['f + 1', 'float64'],
  ];
  for (const [src, type] of types) {
    test(`${src} is ${type}`, () => assert.equal(typeOf(src, { n: 4, f: 0.5 }), type));
  }
});

describe('membership and string operators', () => {
  table(
    [
      ['2 in [1, 2]', true],
      ['2.0 in [1, 2]', true],
      ['3 in [1, 2]', false],
      ['"b" in {"b": 1}', true],
      ['"c" in {"b": 1}', false],
      ['"x" not in ["y"]', true],
      ['"y" not in ["y"]', false],
      ['1 in nil', false],
      ['3 in 1..5', true],
      ['"k" in m', true],
      ['"z" in m', false],
      ['"hello" contains "ell"', true],
      ['"hello" contains "xyz"', false],
      ['"hello" startsWith "he"', true],
      ['"hello" endsWith "lo"', true],
      ['"hello" not contains "z"', true],
      ['"hello" not startsWith "x"', true],
      ['"hello" not endsWith "o"', false],
    ],
    { m: new Map([['k', 1]]) },
  );
});

describe('matches: RE2 syntax, literal patterns compiled once, dynamic ones at run time', () => {
  table(
    [
      ['"crowdsecurity/ssh-bf" matches "^crowdsecurity/"', true],
      ['"ABC" matches "(?i)abc"', true],
      ['"ABC" matches "abc"', false],
      ['"a\\nb" matches "a.b"', false],
      ['"a\\rb" matches "a.b"', true],
      ['"a\\nb" matches "(?s)a.b"', true],
      ['"ab" matches "\\\\Aab\\\\z"', true],
      ['"abc" not matches "^b"', true],
      ['"v1" matches "[[:digit:]]"', true],
      ['"x" matches "(?P<name>x)"', true],
      ['"1.2.3.4" matches p', true],
      ['"1x2.3.4" matches p', false],
    ],
    { p: '^1\\.2\\.' },
  );
});

describe('logical operators short-circuit; the ternary evaluates one branch', () => {
  const cases: [string, unknown][] = [
    ['false && Boom()', false],
    ['false and Boom()', false],
    ['true || Boom()', true],
    ['true or Boom()', true],
    ['1 ?? Boom()', 1],
    ['true ? 1 : Boom()', 1],
    ['false ? Boom() : 2', 2],
    ['all([1, -1, 2], # > 0 && Boom())', false],
  ];
  for (const [src, expected] of cases) {
    test(src, () => {
      let calls = 0;
      const Boom = (): boolean => {
        calls++;
        return true;
      };
      assert.deepEqual(run(src, { Boom }), expected);
      assert.equal(calls, src.startsWith('all') ? 1 : 0);
    });
  }
});

describe('indexing, slicing, optional chaining', () => {
  table(
    [
      ['[1, 2, 3][0]', 1],
      ['[1, 2, 3][-1]', 3],
      ['[1, 2, 3][1.9]', 2],
      ['{"a": {"b": 5}}.a.b', 5],
      ['{"a": 1}["a"]', 1],
      ['{"a": 1}.missing', null],
      ['"abc"[0]', 97],
      ['[1, 2, 3, 4][1:3]', [2, 3]],
      ['[1, 2, 3][:2]', [1, 2]],
      ['[1, 2, 3][-2:]', [2, 3]],
      ['[1, 2, 3][2:1]', []],
      ['"hello"[1:3]', 'el'],
      ['x?.a', null],
      ['x?.a.b.c', null],
      ['x?.a()', null],
      ['x?.[0]', null],
      ['y?.a', 1],
      ['(x?.a ?? "d")', 'd'],
      ['m["k"]', 1],
      ['m["z"]', null],
    ],
    { x: null, y: { a: 1 }, m: new Map([['k', 1]]) },
  );
});

describe('predicates over # (current element)', () => {
  table([
    ['all([1, 2, 3], # > 0)', true],
    ['all([1, -2], {# > 0})', false],
    ['all([], # > 0)', true],
    ['any([1, 2], # == 2)', true],
    ['any([], true)', false],
    ['none([1, 2], # > 5)', true],
    ['one([1, 2, 3], # > 2)', true],
    ['one([1, 2, 3], # > 1)', false],
    ['filter([1, 2, 3, 4], # % 2 == 0)', [2, 4]],
    ['map([1, 2, 3], # * 10)', [10, 20, 30]],
    ['map([1, 2], # / 2)', [0.5, 1]],
    ['count(["a", "bb", "cc"], len(#) == 2)', 2],
    ['map([{"v": 1}, {"v": 2}], .v)', [1, 2]],
    ['map([{"v": 1}], #.v + 1)', [2]],
    ['all([[1], [2, 3]], all(#, # > 0))', true],
    ['[1, 2] | map(# + 1)', [2, 3]],
  ]);
});

describe('runtime errors name the problem and its position', () => {
  class Stub {
    readonly Field = 1;
  }
  const env: Record<string, unknown> = {
    x: null,
    p: '(',
    Alert: { Remediation: true, Source: { Value: '1.2.3.4' }, GetScope: () => 'Ip' },
    S: new Stub(),
    Thrower: () => {
      throw new Error('db is down');
    },
    Async: async () => 1,
  };
  const cases: [src: string, reason: string, column: number][] = [
    ['foo', 'unknown name foo', 1],
    ['Undefined(1)', 'unknown name Undefined', 1],
    ['x.a', 'cannot fetch a from <nil>', 3],
    ['x["k"]', 'cannot fetch k from <nil>', 2],
    ['Alert.Source.Nope.Deeper', 'cannot fetch Deeper from <nil>', 19],
    ['S.Missing', 'cannot fetch Missing from *Stub', 3],
    ['1 < "a"', 'invalid operation: int < string', 3],
    ['"a" > 1.5', 'invalid operation: string > float64', 5],
    ['nil <= 1', 'invalid operation: <nil> <= int', 5],
    ['[1] >= [1]', 'invalid operation: []interface {} >= []interface {}', 5],
    ['1 + "a"', 'invalid operation: int + string', 3],
    ['"a" - "b"', 'invalid operation: string - string', 5],
    ['true * 2', 'invalid operation: bool * int', 6],
    ['5 % 0', 'integer divide by zero', 3],
    ['5.5 % 2', 'invalid operation: float64 % int', 5],
    ['1.5..3', 'invalid operation: float64..int', 4],
    ['0..2000000', 'memory budget exceeded', 2],
    ['1 && true', 'invalid operation: && on int (expected bool)', 3],
    ['true and "x"', 'invalid operation: and on string (expected bool)', 6],
    ['false || nil', 'invalid operation: || on <nil> (expected bool)', 7],
    ['!1', 'invalid operation: ! int', 1],
    ['not "a"', 'invalid operation: not string', 1],
    ['-"a"', 'invalid operation: - string', 1],
    ['1 ? 2 : 3', 'non-bool expression (type int) used as condition', 3],
    ['[1, 2][5]', 'index out of range: 5 (array length is 2)', 7],
    ['[1, 2][-3]', 'index out of range: -1 (array length is 2)', 7],
    ['[1, 2]["a"]', 'cannot fetch a from []interface {}', 7],
    ['"x".length', 'cannot fetch length from string', 5],
    ['(1).a', 'cannot fetch a from int', 5],
    ['[1][true:]', 'invalid operation: int(bool)', 4],
    ['1 contains "a"', 'invalid operation: contains (mismatched types int and string)', 3],
    ['"a" startsWith nil', 'invalid operation: startsWith (mismatched types string and <nil>)', 5],
    ['1 matches "a"', 'invalid operation: matches (mismatched types int and string)', 3],
    ['1 in 2', 'operator "in" not defined on int', 3],
    ['1 in Alert', 'cannot use int as field name of map[string]interface {}', 3],
    ['Alert()', 'Alert is not a function (type map[string]interface {})', 1],
    ['Alert.Remediation()', 'Remediation is not a function (type bool)', 7],
    ['Thrower()', 'db is down', 1],
    ['Async()', 'Async returned a Promise: only synchronous functions can be called', 1],
    ['Alert.constructor', 'cannot fetch constructor from map[string]interface {}', 7],
    ['Alert.__proto__', 'cannot fetch __proto__ from map[string]interface {}', 7],
    ['Alert.GetScope.call', 'cannot fetch call from func', 16],
    ['S.constructor.constructor("return 1")', 'cannot fetch constructor from *Stub', 3],
    ['S.toString()', 'cannot fetch toString from *Stub', 3],
    ['all(1, # > 0)', 'cannot iterate over int in all', 1],
    ['all([1], 1)', 'predicate of all must return a bool, got int', 10],
    ['{(1): 2}', 'cannot use int as a map key (type string)', 3],
  ];
  for (const [src, reason, column] of cases) {
    test(src, () => {
      const expr = compile(src);
      assert.throws(
        () => expr.run(env),
        (err: unknown) => {
          assert.ok(err instanceof ExprRuntimeError, `expected ExprRuntimeError, got ${String(err)}`);
          assert.equal(err.code, 'EXPR_RUNTIME');
          assert.equal(err.reason, reason);
          assert.equal(err.line, 1);
          assert.equal(err.column, column);
          assert.ok(err.message.startsWith(`${reason} (1:${column})\n | ${src}\n`), err.message);
          return true;
        },
      );
    });
  }

  test('a dynamic bad regex is a runtime error', () => {
    assert.throws(
      () => compile('"a" matches p').run(env),
      (err: unknown) => err instanceof ExprRuntimeError && err.reason.startsWith('error parsing regexp: ') && err.column === 5,
    );
  });

  test('a host error is kept as the cause', () => {
    assert.throws(
      () => compile('Thrower()').run(env),
      (err: unknown) => err instanceof ExprRuntimeError && err.cause instanceof Error && err.cause.message === 'db is down',
    );
  });

  test('a position on a later line', () => {
    assert.throws(() => compile('Alert.Remediation == true &&\n  foo').run(env), { reason: 'unknown name foo', line: 2, column: 3 });
  });
});
