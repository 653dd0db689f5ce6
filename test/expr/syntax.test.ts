import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compile, ExprSyntaxError } from '../../src/expr/index.js';

const run = (src: string, env: Record<string, unknown> = {}): unknown => compile(src).run(env);

describe('literals', () => {
  const cases: [string, unknown][] = [
    ['42', 42],
    ['4.5', 4.5],
    ['1e3', 1000],
    ['2.5e-1', 0.25],
    ['.5', 0.5],
    ['0x1F', 31],
    ['0o17', 15],
    ['0b101', 5],
    ['1_000_000', 1000000],
    ['"a\\tb"', 'a\tb'],
    ['"line\\nnext"', 'line\nnext'],
    ["'it\\'s'", "it's"],
    ['"say \\"hi\\""', 'say "hi"'],
    ["'a\"b'", 'a"b'],
    ['"back\\\\slash"', 'back\\slash'],
    ['"\\u00e9"', 'é'],
    ['"\\u{1F600}"', '😀'],
    ['"\\U0001F600"', '😀'],
    ['"\\x41"', 'A'],
    ['"\\101"', 'A'],
    ['"\\a\\b\\f\\r\\v"', '\x07\b\f\r\v'],
    ['`raw\\n`', 'raw\\n'],
    ['`a``b`', 'a`b'],
    ['true', true],
    ['false', false],
    ['nil', null],
    ['[1, "a", [true]]', [1, 'a', [true]]],
    ['[]', []],
    ['[1, 2,]', [1, 2]],
    ['{"a": 1, b: 2, 3: "x", ("c" + "d"): 4}', { a: 1, b: 2, '3': 'x', cd: 4 }],
    ['{}', {}],
    ['1 /* block */ + // line\n 2', 3],
    ['  \t\n 7 \n', 7],
  ];
  for (const [src, expected] of cases) {
    test(src, () => assert.deepEqual(run(src), expected));
  }

  test('a "__proto__" map key stays an own key', () => {
    const out = run('{"__proto__": 1}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.keys(out), ['__proto__']);
  });

  test('a float literal stays a float64 even when integral', () => {
    assert.equal(run('Sprintf("%T %T %T", 2.0, 2, 1e3)'), 'float64 int float64');
  });
});

describe('precedence and associativity (expr-lang operator table)', () => {
  const cases: [string, unknown][] = [
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['100 / 10 / 5', 2],
    ['7 % 4 * 2', 6],
    ['2 ** 3 ** 2', 512],
    ['2 ^ 3', 8],
    ['-2 ** 2', -4],
    ['- 3 * 2', -6],
    ['1 + 2 == 3', true],
    ['not true == false', true],
    ['!true || true', true],
    ['!!true', true],
    ['true || false && false', true],
    ['(true || false) && false', false],
    ['false and true or true', true],
    ['1 < 2 == true', true],
    ['1 < 2 < 3', true],
    ['3 > 2 > 1', true],
    ['1 < 3 < 2', false],
    ['1 <= 1 < 2 <= 2', true],
    ['"a" + "b" == "ab"', true],
    ['2 in [1, 2] && 1 + 1 == 2', true],
    ['1..3 == [1, 2, 3]', true],
    ['true ? 1 : 2 + 10', 1],
    ['false ? 1 : 2 + 10', 12],
    ['true ? false ? 1 : 2 : 3', 2],
    ['false ? 1 : true ? 2 : 3', 2],
    ['1 > 2 || 3 > 2 ? "yes" : "no"', 'yes'],
    ['true ?: false', true],
    ['1 + nil ?? 2', 3],
    ['(nil ?? 1) + 1', 2],
    ['nil ?? nil ?? 3', 3],
    ['"x" not in ["a"] && true', true],
    ['"abc" | upper() | lower()', 'abc'],
    ['[1, 2, 3] | len() + 1', 4],
    ['"a,b" | split(",")', ['a', 'b']],
  ];
  for (const [src, expected] of cases) {
    test(src, () => assert.deepEqual(run(src), expected));
  }
});

describe('syntax errors carry line:column', () => {
  const cases: [src: string, reason: string, line: number, column: number][] = [
    ['Alert.GetScope())', 'unexpected token Bracket(")")', 1, 17],
    ['1 +', 'unexpected token EOF', 1, 4],
    ['(1 + 2', 'unexpected token EOF', 1, 7],
    ['1 2', 'unexpected token Number("2")', 1, 3],
    ['a b', 'unexpected token Identifier("b")', 1, 3],
    ['a not b', 'unexpected token Identifier("b")', 1, 7],
    ['[1, 2', 'unexpected token EOF', 1, 6],
    ['{"a" 1}', 'unexpected token Number("1")', 1, 6],
    [
      '{[1]: 2}',
      'a map key must be a quoted string, a number, a identifier, or an expression enclosed in parentheses (unexpected token Bracket("["))',
      1,
      2,
    ],
    ['a.', 'expected name', 1, 3],
    ['a.+', 'expected name', 1, 3],
    ['nil.a', 'unexpected token Operator(".")', 1, 4],
    ['"abc', 'literal not terminated', 1, 5],
    ["'abc\n'", 'literal not terminated', 1, 5],
    ['"\\q"', 'invalid char escape', 1, 3],
    ['"\\x4"', 'invalid char escape', 1, 3],
    ['1 @ 2', "unrecognized character: U+0040 '@'", 1, 3],
    ['1abc', 'bad number syntax: "1a"', 1, 2],
    ['0x', 'invalid integer literal: 0x', 1, 1],
    ['1e', 'invalid float literal: 1e', 1, 1],
    ['9007199254740993', 'integer literal is too large', 1, 1],
    ['/* open', 'unclosed comment', 1, 8],
    ['a ?? b + c', 'Operator (+) and coalesce expressions (??) cannot be mixed. Wrap either by parentheses.', 1, 8],
    ['let x = 1; x', 'unexpected token Operator("let")', 1, 1],
    ['# > 1', 'unexpected token Operator("#")', 1, 1],
    ['all([1], #x > 1)', 'unsupported pointer #x', 1, 10],
    ['all([1])', 'unexpected token Bracket(")")', 1, 8],
    ['true ? 1', 'unexpected token EOF', 1, 9],
    ['Alert.Remediation == true &&\n  Alert.GetScope() ==', 'unexpected token EOF', 2, 22],
    ['"é" == "é" )', 'unexpected token Bracket(")")', 1, 12],
  ];
  for (const [src, reason, line, column] of cases) {
    test(JSON.stringify(src), () => {
      assert.throws(
        () => compile(src),
        (err: unknown) => {
          assert.ok(err instanceof ExprSyntaxError, `expected ExprSyntaxError, got ${String(err)}`);
          assert.equal(err.code, 'EXPR_SYNTAX');
          assert.equal(err.reason, reason);
          assert.equal(err.line, line);
          assert.equal(err.column, column);
          assert.ok(err.message.startsWith(`${reason} (${line}:${column})`), err.message);
          return true;
        },
      );
    });
  }

  test('the message carries the source line and a caret, as expr-lang prints it', () => {
    assert.throws(() => compile('Alert.GetScope())'), {
      message: 'unexpected token Bracket(")") (1:17)\n | Alert.GetScope())\n | ................^',
    });
  });

  test('a bad literal regex fails at compile time, at the operator', () => {
    for (const pattern of ['(', '(?=a)', 'a\\1', '[[:nope:]]']) {
      assert.throws(
        () => compile(`"a" matches ${JSON.stringify(pattern)}`),
        (err: unknown) => err instanceof ExprSyntaxError && err.reason.startsWith('error parsing regexp: ') && err.column === 5,
      );
    }
  });

  test('deep nesting is refused, not a crash', () => {
    assert.throws(() => compile(`${'('.repeat(100_000)}1${')'.repeat(100_000)}`), {
      name: 'ExprSyntaxError',
      reason: 'expression is too deeply nested',
    });
  });
});

describe('compile with the env names', () => {
  const names = ['Alert', 'GetDecisionsCount'];
  const ok = [
    'Alert.Remediation == true && Alert.GetScope() == "Ip"',
    "Sprintf('%dh', (GetDecisionsCount(Alert.GetValue()) + 1) * 4)",
    'all(Alert.Events, {len(.Meta) > 0 && # != nil})',
    'len(Alert.Events) > 0 ? upper("a") : lower("B")',
  ];
  for (const src of ok) {
    test(`accepts ${src}`, () => assert.doesNotThrow(() => compile(src, { names })));
  }

  const bad: [src: string, reason: string, column: number][] = [
    ['Alert.Remediation == true && Alrt.GetScope() == "Ip"', 'unknown name Alrt', 30],
    ['GetDecisionCount(Alert.GetValue())', 'unknown name GetDecisionCount', 1],
    ['[1, x][0]', 'unknown name x', 5],
    ['{"a": y}', 'unknown name y', 7],
    ['Alert?.Source[z]', 'unknown name z', 15],
    ['map([1], # + w)', 'unknown name w', 14],
    ['true ? 1 : v', 'unknown name v', 12],
  ];
  for (const [src, reason, column] of bad) {
    test(`refuses ${src}`, () => {
      assert.throws(
        () => compile(src, { names }),
        (err: unknown) => err instanceof ExprSyntaxError && err.reason === reason && err.column === column,
      );
    });
  }

  test('without names, an unknown name is only a runtime error', () => {
    assert.doesNotThrow(() => compile('Nope == 1'));
  });
});
