/**
 * Precedence-climbing parser, shaped like expr-lang's `parser/parser.go` so that precedence,
 * associativity and error messages match: `unexpected token Bracket(")") (1:12)`.
 */
import type { Node } from './ast.js';
import { ExprSyntaxError } from './errors.js';
import { BINARY, COMPARISON, IDENTIFIER, NEGATABLE, PREDICATES, UNARY, parseNumber } from './grammar.js';
import { tokenString, tokenize, type Token, type TokenKind } from './lexer.js';
import { compileGoRegexp } from './regex.js';

/** Parses `src` into a tree; throws ExprSyntaxError with the position of the first error. */
export function parse(src: string): Node {
  return new Parser(src, tokenize(src)).parseAll();
}

class Parser {
  private i = 0;
  private depth = 0;

  constructor(
    private readonly src: string,
    private readonly tokens: Token[],
  ) {}

  parseAll(): Node {
    const node = this.expression(0);
    if (!this.is('EOF')) this.unexpected();
    return node;
  }

  private get cur(): Token {
    return this.tokens[this.i]!;
  }

  private next(): Token {
    const t = this.cur;
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  private is(kind: TokenKind, value?: string): boolean {
    return this.cur.kind === kind && (value === undefined || this.cur.value === value);
  }

  private expect(kind: TokenKind, value?: string): Token {
    if (!this.is(kind, value)) this.unexpected();
    return this.next();
  }

  private fail(message: string, at: Token = this.cur): never {
    throw new ExprSyntaxError(message, this.src, at.pos);
  }

  private unexpected(at: Token = this.cur): never {
    return this.fail(`unexpected token ${tokenString(at)}`, at);
  }

  private expression(prec: number): Node {
    let left = this.primary();
    let prevOp = '';
    while (this.cur.kind === 'Operator') {
      let tok = this.cur;
      let notTok: Token | undefined;
      if (tok.value === 'not') {
        const after = this.tokens[this.i + 1]!;
        if (after.kind !== 'Operator' || !NEGATABLE.has(after.value)) this.unexpected(after);
        if (BINARY[after.value]!.prec < prec) break;
        notTok = this.next();
        tok = this.cur;
      }
      const op = BINARY[tok.value];
      if (op === undefined || op.prec < prec) break;
      this.next();
      if (tok.value === '|') {
        left = this.call(this.expect('Identifier'), [left]);
      } else if (prevOp === '??' && tok.value !== '??') {
        this.fail(`Operator (${tok.value}) and coalesce expressions (??) cannot be mixed. Wrap either by parentheses.`, tok);
      } else if (COMPARISON.has(tok.value)) {
        left = this.comparison(left, tok, op.prec);
      } else {
        const right = this.expression(op.right ? op.prec : op.prec + 1);
        left = this.binary(tok, left, right);
        if (notTok) left = { kind: 'unary', op: 'not', operand: left, pos: notTok.pos };
      }
      prevOp = tok.value;
    }
    return prec === 0 ? this.conditional(left) : left;
  }

  private binary(tok: Token, left: Node, right: Node): Node {
    const node: Node = { kind: 'binary', op: tok.value, left, right, pos: tok.pos };
    if (tok.value === 'matches' && right.kind === 'literal' && typeof right.value === 'string') {
      try {
        node.regexp = compileGoRegexp(right.value);
      } catch (err) {
        this.fail((err as Error).message, tok);
      }
    }
    return node;
  }

  /** `a < b < c` is `a < b && b < c`, as expr-lang parses chained comparisons. */
  private comparison(left: Node, tok: Token, prec: number): Node {
    let root: Node | undefined;
    for (;;) {
      const right = this.expression(prec + 1);
      const cmp = this.binary(tok, left, right);
      root = root === undefined ? cmp : { kind: 'binary', op: '&&', left: root, right: cmp, pos: tok.pos };
      left = right;
      if (!(this.cur.kind === 'Operator' && COMPARISON.has(this.cur.value))) return root;
      tok = this.next();
    }
  }

  private conditional(node: Node): Node {
    while (this.is('Operator', '?')) {
      const q = this.next();
      let then = node;
      let otherwise: Node;
      if (this.is('Operator', ':')) {
        this.next();
        otherwise = this.expression(0);
      } else {
        then = this.expression(0);
        this.expect('Operator', ':');
        otherwise = this.expression(0);
      }
      node = { kind: 'conditional', test: node, then, otherwise, pos: q.pos };
    }
    return node;
  }

  private primary(): Node {
    const tok = this.cur;
    const unary = tok.kind === 'Operator' ? UNARY[tok.value] : undefined;
    if (unary !== undefined) {
      this.next();
      const operand = this.expression(unary);
      return this.postfix({ kind: 'unary', op: tok.value, operand, pos: tok.pos });
    }
    if (this.is('Bracket', '(')) {
      this.next();
      const inner = this.expression(0);
      this.expect('Bracket', ')');
      return this.postfix(inner);
    }
    if (this.depth > 0 && tok.kind === 'Operator' && (tok.value === '#' || tok.value === '.')) {
      if (tok.value === '#') this.next();
      if (tok.value === '#' && this.is('Identifier') && this.cur.pos === tok.pos + 1)
        this.fail(`unsupported pointer #${this.cur.value}`, tok);
      return this.postfix({ kind: 'pointer', pos: tok.pos });
    }
    return this.secondary();
  }

  private secondary(): Node {
    const tok = this.cur;
    let node: Node;
    if (tok.kind === 'Identifier') {
      this.next();
      if (tok.value === 'true' || tok.value === 'false') return { kind: 'literal', value: tok.value === 'true', pos: tok.pos };
      if (tok.value === 'nil') return { kind: 'literal', value: null, pos: tok.pos };
      node = this.is('Bracket', '(') ? this.call(tok, []) : { kind: 'ident', name: tok.value, pos: tok.pos };
    } else if (tok.kind === 'Number') {
      this.next();
      return { kind: 'literal', value: this.number(tok), pos: tok.pos };
    } else if (tok.kind === 'String') {
      this.next();
      node = { kind: 'literal', value: tok.value, pos: tok.pos };
    } else if (this.is('Bracket', '[')) {
      node = this.array();
    } else if (this.is('Bracket', '{')) {
      node = this.map();
    } else {
      return this.unexpected();
    }
    return this.postfix(node);
  }

  private number(tok: Token): unknown {
    const parsed = parseNumber(tok.value);
    return 'error' in parsed ? this.fail(parsed.error, tok) : parsed.value;
  }

  private call(name: Token, args: Node[]): Node {
    if (PREDICATES.has(name.value)) {
      this.expect('Bracket', '(');
      let array = args[0];
      if (array === undefined) {
        array = this.expression(0);
        this.expect('Operator', ',');
      }
      const body = this.predicate();
      if (this.is('Operator', ',')) this.next();
      this.expect('Bracket', ')');
      return { kind: 'predicate', name: name.value, array, body, pos: name.pos };
    }
    return { kind: 'call', callee: { kind: 'ident', name: name.value, pos: name.pos }, args: this.args(args), pos: name.pos };
  }

  private args(args: Node[]): Node[] {
    const offset = args.length;
    this.expect('Bracket', '(');
    while (!this.is('Bracket', ')')) {
      if (args.length > offset) this.expect('Operator', ',');
      if (this.is('Bracket', ')')) break;
      args.push(this.expression(0));
    }
    this.expect('Bracket', ')');
    return args;
  }

  private predicate(): Node {
    const braces = this.is('Bracket', '{');
    if (braces) this.next();
    this.depth++;
    const body = this.expression(0);
    this.depth--;
    if (braces) this.expect('Bracket', '}');
    return body;
  }

  private array(): Node {
    const open = this.expect('Bracket', '[');
    const items: Node[] = [];
    while (!this.is('Bracket', ']')) {
      if (items.length > 0) {
        this.expect('Operator', ',');
        if (this.is('Bracket', ']')) break;
      }
      items.push(this.expression(0));
    }
    this.expect('Bracket', ']');
    return { kind: 'array', items, pos: open.pos };
  }

  private map(): Node {
    const open = this.expect('Bracket', '{');
    const entries: { key: Node; value: Node }[] = [];
    while (!this.is('Bracket', '}')) {
      if (entries.length > 0) {
        this.expect('Operator', ',');
        if (this.is('Bracket', '}')) break;
      }
      let key: Node;
      if (this.is('Number') || this.is('String') || this.is('Identifier')) {
        const k = this.next();
        key = { kind: 'literal', value: k.value, pos: k.pos };
      } else if (this.is('Bracket', '(')) {
        key = this.expression(0);
      } else {
        return this.fail(
          `a map key must be a quoted string, a number, a identifier, or an expression enclosed in parentheses (unexpected token ${tokenString(this.cur)})`,
        );
      }
      this.expect('Operator', ':');
      entries.push({ key, value: this.expression(0) });
    }
    this.expect('Bracket', '}');
    return { kind: 'map', entries, pos: open.pos };
  }

  /** `.name`, `?.name`, `.method(args)`, `[index]`, `[from:to]`, `?.[index]`. */
  private postfix(node: Node): Node {
    for (;;) {
      const tok = this.cur;
      const optional = this.is('Operator', '?.');
      if (!(optional || this.is('Operator', '.') || this.is('Bracket', '['))) return node;
      this.next();
      const inChain = node.kind === 'chain';
      const object = node.kind === 'chain' ? node.node : node;
      let result: Node;
      if (tok.value !== '[' && !(optional && this.is('Bracket', '['))) {
        const prop = this.next();
        if (prop.kind !== 'Identifier' && !(prop.kind === 'Operator' && IDENTIFIER.test(prop.value))) this.fail('expected name', prop);
        const member: Node = {
          kind: 'member',
          object,
          property: { kind: 'literal', value: prop.value, pos: prop.pos },
          optional,
          pos: prop.pos,
        };
        result = this.is('Bracket', '(') ? { kind: 'call', callee: member, args: this.args([]), pos: prop.pos } : member;
      } else {
        if (tok.value !== '[') this.next();
        let from: Node | undefined;
        if (!this.is('Operator', ':')) from = this.expression(0);
        if (this.is('Operator', ':')) {
          this.next();
          const to = this.is('Bracket', ']') ? undefined : this.expression(0);
          result = { kind: 'slice', object, from, to, pos: tok.pos };
        } else {
          result = { kind: 'member', object, property: from!, optional, pos: tok.pos };
        }
        this.expect('Bracket', ']');
      }
      node = inChain || optional ? { kind: 'chain', node: result, pos: result.pos } : result;
    }
  }
}
