/**
 * Compile-time name check. expr-lang, compiled with an env (as CrowdSec compiles profiles), refuses an
 * unknown name before anything runs; this gives callers the same early failure when they list the names.
 */
import type { Node } from './ast.js';
import { BUILTINS } from './builtins.js';

/** The first identifier of `node` (in source order) that is neither in `names` nor a called built-in. */
export function findUnknownName(node: Node, names: ReadonlySet<string>): { name: string; pos: number } | undefined {
  const children = (n: Node): Node[] => {
    switch (n.kind) {
      case 'literal':
      case 'ident':
      case 'pointer':
        return [];
      case 'array':
        return n.items;
      case 'map':
        return n.entries.flatMap((e) => [e.key, e.value]);
      case 'member':
        return [n.object, n.property];
      case 'slice':
        return [n.object, ...(n.from ? [n.from] : []), ...(n.to ? [n.to] : [])];
      case 'chain':
        return [n.node];
      case 'call':
        return n.callee.kind === 'ident' && BUILTINS[n.callee.name] ? n.args : [n.callee, ...n.args];
      case 'predicate':
        return [n.array, n.body];
      case 'unary':
        return [n.operand];
      case 'binary':
        return [n.left, n.right];
      case 'conditional':
        return [n.test, n.then, n.otherwise];
    }
  };
  const visit = (n: Node): { name: string; pos: number } | undefined => {
    if (n.kind === 'ident' && !names.has(n.name)) return { name: n.name, pos: n.pos };
    for (const child of children(n)) {
      const found = visit(child);
      if (found) return found;
    }
    return undefined;
  };
  return visit(node);
}
