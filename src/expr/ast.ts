/**
 * The syntax tree. `pos` is the UTF-16 offset of the node's token in the source, used for error
 * positions (for operators, the operator's token, as in expr-lang).
 */
export type Node =
  | { kind: 'literal'; value: unknown; pos: number }
  | { kind: 'ident'; name: string; pos: number }
  /** `#` (or `#name`) inside a predicate: the current element. */
  | { kind: 'pointer'; pos: number }
  | { kind: 'array'; items: Node[]; pos: number }
  | { kind: 'map'; entries: { key: Node; value: Node }[]; pos: number }
  /** `a.b` (property is a string literal), `a[x]`; `optional` for `?.`. */
  | { kind: 'member'; object: Node; property: Node; optional: boolean; pos: number }
  | { kind: 'slice'; object: Node; from?: Node; to?: Node; pos: number }
  /** Wraps a member chain containing `?.`: a nil met by `?.` makes the whole chain nil. */
  | { kind: 'chain'; node: Node; pos: number }
  /** `name(args)` (callee ident: a built-in or an env function) or `a.method(args)` (callee member). */
  | { kind: 'call'; callee: Node; args: Node[]; pos: number }
  /** all/any/none/one/filter/map/count with a predicate evaluated per element. */
  | { kind: 'predicate'; name: string; array: Node; body: Node; pos: number }
  | { kind: 'unary'; op: string; operand: Node; pos: number }
  | { kind: 'binary'; op: string; left: Node; right: Node; pos: number; regexp?: RegExp }
  | { kind: 'conditional'; test: Node; then: Node; otherwise: Node; pos: number };

export type NodeOf<K extends Node['kind']> = Extract<Node, { kind: K }>;
