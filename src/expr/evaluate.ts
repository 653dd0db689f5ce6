/**
 * Tree-walking evaluator. Synchronous; host functions found in the env are called with unboxed
 * arguments (values.ts) and must return synchronously. Every failure is an ExprRuntimeError carrying
 * the position of the node that failed.
 */
import { fetch, slice } from './access.js';
import type { Node, NodeOf } from './ast.js';
import { BUILTINS } from './builtins.js';
import { ExprError, ExprRuntimeError } from './errors.js';
import { applyBinary, type Fail } from './operators.js';
import { asNum, float, isNil, toHost, typeName } from './values.js';

export interface Scope {
  readonly env: Readonly<Record<string, unknown>>;
  readonly source: string;
  /** The elements `#` stands for, innermost predicate last. */
  readonly pointers: unknown[];
}

/** Thrown by `?.` on nil and caught by the enclosing chain node, which then yields nil. */
const NIL_CHAIN = Symbol('nil chain');

function failer(scope: Scope, pos: number): Fail {
  return (message, cause) => {
    throw new ExprRuntimeError(message, scope.source, pos, cause === undefined ? undefined : { cause });
  };
}

/** Evaluates `node`; the result may hold engine values (Float): unbox with toHost before handing it out. */
export function evaluate(node: Node, scope: Scope): unknown {
  const fail = failer(scope, node.pos);
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'ident':
      if (!Object.hasOwn(scope.env, node.name)) return fail(`unknown name ${node.name}`);
      return scope.env[node.name] ?? null;
    case 'pointer':
      return scope.pointers.length > 0 ? scope.pointers[scope.pointers.length - 1] : fail('# used outside a predicate');
    case 'array':
      return node.items.map((item) => toHost(evaluate(item, scope)));
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const { key, value } of node.entries) {
        const k = evaluate(key, scope);
        if (typeof k !== 'string') return failer(scope, key.pos)(`cannot use ${typeName(k)} as a map key (type string)`);
        // defineProperty, so that a "__proto__" key is an own key and never a prototype change.
        Object.defineProperty(out, k, { value: toHost(evaluate(value, scope)), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 'member':
      return fetch(object(node, scope), evaluate(node.property, scope), fail);
    case 'slice': {
      const from = node.from && evaluate(node.from, scope);
      const to = node.to && evaluate(node.to, scope);
      return slice(evaluate(node.object, scope), from, to, fail);
    }
    case 'chain':
      try {
        return evaluate(node.node, scope);
      } catch (err) {
        if (err === NIL_CHAIN) return null;
        throw err;
      }
    case 'call':
      return call(node, scope, fail);
    case 'predicate':
      return predicate(node, scope, fail);
    case 'unary':
      return unary(node.op, evaluate(node.operand, scope), fail);
    case 'binary':
      return binary(node, scope, fail);
    case 'conditional': {
      const test = evaluate(node.test, scope);
      if (typeof test !== 'boolean') return fail(`non-bool expression (type ${typeName(test)}) used as condition`);
      return evaluate(test ? node.then : node.otherwise, scope);
    }
  }
}

/** The object of a member access; nil is an error, or ends the chain under `?.`. */
function object(node: NodeOf<'member'>, scope: Scope): unknown {
  const obj = evaluate(node.object, scope);
  if (!isNil(obj)) return obj;
  if (node.optional) throw NIL_CHAIN;
  const key = node.property.kind === 'literal' ? String(node.property.value) : toHost(evaluate(node.property, scope));
  return failer(scope, node.pos)(`cannot fetch ${String(key)} from <nil>`);
}

function call(node: NodeOf<'call'>, scope: Scope, fail: Fail): unknown {
  const { callee } = node;
  let fn: unknown;
  let self: unknown;
  let name: string;
  if (callee.kind === 'ident') {
    name = callee.name;
    const builtin = BUILTINS[name];
    if (builtin)
      return builtin(
        node.args.map((a) => evaluate(a, scope)),
        fail,
      );
    fn = evaluate(callee, scope);
  } else if (callee.kind === 'member') {
    self = object(callee, scope);
    name = String(evaluate(callee.property, scope));
    fn = fetch(self, name, fail);
  } else {
    return fail('cannot call this expression');
  }
  if (typeof fn !== 'function') return fail(`${name} is not a function (type ${typeName(fn)})`);
  const args = node.args.map((a) => toHost(evaluate(a, scope)));
  let result: unknown;
  try {
    result = Reflect.apply(fn, self, args);
  } catch (err) {
    if (err instanceof ExprError) throw err;
    return fail(err instanceof Error ? err.message : String(err), err);
  }
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    return fail(`${name} returned a Promise: only synchronous functions can be called`);
  }
  return result ?? null;
}

function predicate(node: NodeOf<'predicate'>, scope: Scope, fail: Fail): unknown {
  const list = evaluate(node.array, scope);
  if (!Array.isArray(list)) return fail(`cannot iterate over ${typeName(list)} in ${node.name}`);
  const results: unknown[] = [];
  for (const item of list) {
    scope.pointers.push(item);
    try {
      results.push(evaluate(node.body, scope));
    } finally {
      scope.pointers.pop();
    }
    const last = results[results.length - 1];
    if (node.name !== 'map' && typeof last !== 'boolean') {
      return failer(scope, node.body.pos)(`predicate of ${node.name} must return a bool, got ${typeName(last)}`);
    }
    // all/any/none stop at the first element that settles the answer, as expr-lang's loops do.
    if ((node.name === 'all' && last === false) || ((node.name === 'any' || node.name === 'none') && last === true)) break;
  }
  const trues = results.filter((r) => r === true).length;
  switch (node.name) {
    case 'all':
      return !results.includes(false);
    case 'any':
      return trues > 0;
    case 'none':
      return trues === 0;
    case 'one':
      return trues === 1;
    case 'filter':
      return list.filter((_, i) => results[i] === true);
    case 'map':
      return results.map(toHost);
    default:
      return trues;
  }
}

function unary(op: string, v: unknown, fail: Fail): unknown {
  if (op === 'not' || op === '!') {
    if (typeof v !== 'boolean') return fail(`invalid operation: ${op} ${typeName(v)}`);
    return !v;
  }
  const n = asNum(v);
  if (!n) return fail(`invalid operation: ${op} ${typeName(v)}`);
  if (op === '+') return v;
  return n.float ? float(-n.n) : 0 - n.n;
}

function binary(node: NodeOf<'binary'>, scope: Scope, fail: Fail): unknown {
  const { op } = node;
  if (op === '??') {
    const left = evaluate(node.left, scope);
    return isNil(left) ? evaluate(node.right, scope) : left;
  }
  if (op === '&&' || op === 'and' || op === '||' || op === 'or') {
    const isAnd = op === '&&' || op === 'and';
    const left = evaluate(node.left, scope);
    if (typeof left !== 'boolean') return fail(`invalid operation: ${op} on ${typeName(left)} (expected bool)`);
    if (left !== isAnd) return left;
    const right = evaluate(node.right, scope);
    if (typeof right !== 'boolean') return fail(`invalid operation: ${op} on ${typeName(right)} (expected bool)`);
    return right;
  }
  return applyBinary(op, evaluate(node.left, scope), evaluate(node.right, scope), node.regexp, fail);
}
