/**
 * The subset of expr-lang (github.com/expr-lang/expr) that CrowdSec profiles use (`filters`,
 * `duration_expr`): a tokenizer, a parser to a tree and a tree-walking evaluator. No dynamic code.
 *
 * Language: int/float/string (`'…'`, `"…"`, `` `raw` ``) literals, `true false nil`, arrays, maps;
 * names from the env, `a.b`, `a?.b`, `a[i]`, `a[i:j]`, `a.Method(x)`, `f(x)`, `x | f(y)`;
 * operators by expr-lang precedence: `?:` (and `a ?: b`), `??`, `|| or`, `&& and`,
 * `== != < <= > >=` (chainable: `1 < x < 5`), `in`, `matches`, `contains`, `startsWith`, `endsWith`
 * (each also as `not in`…), `..`, `+ -`, `* / %`, `** ^`, unary `! not - +`;
 * built-ins `len upper lower trim trimPrefix trimSuffix split join replace abs int float string
 * Sprintf` and the predicates `all any none one filter map count` (`all(list, {# > 1})`, `.Field`).
 * Env functions are called synchronously with `this` bound for methods (`Alert.GetScope()`).
 * Numbers keep Go's int/float64 distinction (values.ts), so `Sprintf('%d', 4 / 2)` is `%!d(float64=2)`.
 *
 * Not supported: `let`, `if {} else {}`, `;` sequences, `$env`, `#index`/`#acc`, the other predicates
 * (find, reduce, sortBy, groupBy…), expr-lang's date/JSON/base64/… built-ins, bytes literals, and static
 * type checking (only names are checked at compile time, when `names` is given).
 */
import type { Node } from './ast.js';
import { findUnknownName } from './check.js';
import { ExprError, ExprRuntimeError, ExprSyntaxError } from './errors.js';
import { evaluate } from './evaluate.js';
import { formatValue } from './format.js';
import { parse } from './parser.js';
import { toHost, typeName } from './values.js';

export { ExprError, ExprRuntimeError, ExprSyntaxError } from './errors.js';
export { sprintf } from './sprintf.js';

export type ExprEnv = Readonly<Record<string, unknown>>;

/** A parsed expression; reusable and safe to run concurrently with different envs. */
export class CompiledExpr {
  /** @internal use `compile`. */
  constructor(
    readonly source: string,
    private readonly root: Node,
  ) {}

  /**
   * Evaluates against `env` (names resolve to its own properties). Returns plain JS values: numbers,
   * strings, booleans, null for nil, arrays, objects, or whatever a host function returned.
   * Throws ExprRuntimeError on any evaluation error, including a host function throwing (as `cause`).
   */
  run(env: ExprEnv): unknown {
    return toHost(this.evaluate(env));
  }

  /** Runs and requires a bool, as CrowdSec requires of profile filters; otherwise ExprRuntimeError. */
  runBool(env: ExprEnv): boolean {
    const result = this.evaluate(env);
    if (typeof result !== 'boolean') {
      throw new ExprRuntimeError(`expected a bool, got ${typeName(result)} (${formatValue(result)})`, this.source, 0);
    }
    return result;
  }

  /** Runs and formats the result as Go's fmt.Sprint would (CrowdSec's `duration_expr` reading). */
  runString(env: ExprEnv): string {
    return formatValue(this.evaluate(env));
  }

  private evaluate(env: ExprEnv): unknown {
    try {
      return evaluate(this.root, { env, source: this.source, pointers: [] });
    } catch (err) {
      if (err instanceof RangeError) {
        throw new ExprRuntimeError(`evaluation failed: ${err.message}`, this.source, 0, { cause: err });
      }
      throw err;
    }
  }
}

export interface CompileOptions {
  /**
   * The names the env will define. When given, any other identifier (not a called built-in) fails
   * compilation with `unknown name X`, as expr-lang does when compiled with an env.
   */
  names?: Iterable<string>;
}

/**
 * Parses `source` once. Throws ExprSyntaxError (message with `line:column`) on any syntax error,
 * bad literal regex, or (with `options.names`) unknown name.
 */
export function compile(source: string, options: CompileOptions = {}): CompiledExpr {
  try {
    const root = parse(source);
    if (options.names !== undefined) {
      const unknown = findUnknownName(root, new Set(options.names));
      if (unknown) throw new ExprSyntaxError(`unknown name ${unknown.name}`, source, unknown.pos);
    }
    return new CompiledExpr(source, root);
  } catch (err) {
    if (err instanceof ExprError) throw err;
    // Deeply nested input exhausts the stack: refuse it as a syntax error rather than crash.
    if (err instanceof RangeError) throw new ExprSyntaxError('expression is too deeply nested', source, 0, { cause: err });
    throw err;
  }
}

/** `expr.runBool(env)`: throws ExprRuntimeError when the result is not a bool. */
export function runBool(expr: CompiledExpr, env: ExprEnv): boolean {
  return expr.runBool(env);
}
