/**
 * Parser for the Go-template subset described in template.ts. Errors read as Go's
 * (`template: NAME:LINE: unexpected {{end}}`), so a message found in upstream's issues still applies.
 */
import { lex, type ActionItem, type Tok } from './lex.js';
import { InvalidValueError } from '../errors.js';

export class TemplateError extends InvalidValueError {
  override name = 'TemplateError';
}

export type Operand =
  | { kind: 'dot'; fields: string[] } // `.` or `.Source.IP`
  | { kind: 'var'; name: string; fields: string[] } // `$`, `$alert`, `$alert.Source.IP`
  | { kind: 'literal'; value: string | number | boolean | null }
  | { kind: 'func'; name: string }
  | { kind: 'sub'; pipe: Pipeline }; // `(pipeline)`

export interface Command {
  args: Operand[];
}

export interface Pipeline {
  /** Variables declared by `$x := …` (two for `range $i, $e := …`). */
  decl: string[];
  cmds: Command[];
  line: number;
  /** The action's text, for execution errors (`executing at <.Foo>`). */
  text: string;
}

export type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | { kind: 'if' | 'with' | 'range'; pipe: Pipeline; body: Node[]; else: Node[] };

/** Fixed or minimum arity of each function, checked at parse time (Go checks at execution). */
export type Arity = { min: number; max: number };

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with']);
const UNSUPPORTED = new Set(['define', 'template', 'block', 'break', 'continue']);

/**
 * Parses `src` into a tree. `funcs` gives the arity of every known function; an unknown function,
 * an undefined variable, a wrong argument count or an unbalanced `{{end}}` is a TemplateError.
 */
export function parse(name: string, src: string, funcs: ReadonlyMap<string, Arity>): Node[] {
  const fail = (line: number, msg: string): never => {
    throw new TemplateError(`template: ${name}:${line}: ${msg}`);
  };
  const items = lex(src, fail);
  let at = 0;
  const scopes: Set<string>[] = [new Set(['$'])];
  const declared = (v: string) => scopes.some((s) => s.has(v));

  function parsePipe(item: ActionItem, toks: Tok[], ctx: string, allowDecl: boolean): Pipeline {
    let i = 0;
    const decl: string[] = [];
    const isVar = (k: number) => toks[k]?.t === 'var' && (toks[k] as { fields: string[] }).fields.length === 0;
    if (allowDecl && isVar(0)) {
      if (toks[1]?.t === ':=') decl.push((toks[0] as { name: string }).name);
      else if (ctx === 'range' && toks[1]?.t === ',' && isVar(2) && toks[3]?.t === ':=')
        decl.push((toks[0] as { name: string }).name, (toks[2] as { name: string }).name);
      else if (toks[1]?.t === '=') fail(item.line, 'assigning to a variable ($x = …) is not supported');
      i = decl.length === 0 ? 0 : decl.length * 2;
    }
    const line = item.line;
    function pipeline(depth: number): Pipeline {
      const cmds: Command[] = [];
      for (;;) {
        const args: Operand[] = [];
        while (i < toks.length && toks[i]!.t !== '|' && toks[i]!.t !== ')') args.push(operand(depth));
        if (args.length === 0)
          fail(line, cmds.length === 0 && depth === 0 && ctx !== 'command' ? `missing value for ${ctx}` : 'missing value for command');
        check(args, cmds.length > 0);
        cmds.push({ args });
        if (toks[i]?.t !== '|') break;
        i++;
      }
      return { decl: depth === 0 ? decl : [], cmds, line, text: item.text };
    }
    function operand(depth: number): Operand {
      const tok = toks[i++]!;
      switch (tok.t) {
        case 'dot':
          return { kind: 'dot', fields: tok.fields };
        case 'var':
          if (!declared(tok.name)) fail(line, `undefined variable "${tok.name}"`);
          return { kind: 'var', name: tok.name, fields: tok.fields };
        case 'lit':
          return { kind: 'literal', value: tok.value };
        case 'ident':
          if (KEYWORDS.has(tok.name)) fail(line, `unexpected <${tok.name}> in command`);
          if (!funcs.has(tok.name)) fail(line, `function "${tok.name}" not defined`);
          return { kind: 'func', name: tok.name };
        case '(': {
          const pipe = pipeline(depth + 1);
          if (toks[i++]?.t !== ')') fail(line, 'unclosed left paren');
          return { kind: 'sub', pipe };
        }
        default:
          return fail(line, `unexpected "${tok.t}" in operand`);
      }
    }
    function check(args: Operand[], piped: boolean): void {
      const [first, ...rest] = args;
      if (first?.kind === 'func') {
        const arity = funcs.get(first.name)!;
        const got = rest.length + (piped ? 1 : 0);
        if (got < arity.min || got > arity.max) {
          const want =
            arity.min === arity.max ? `${arity.min}` : arity.max === Infinity ? `at least ${arity.min}` : `${arity.min} to ${arity.max}`;
          fail(line, `wrong number of args for ${first.name}: want ${want} got ${got}`);
        }
        for (const a of rest) if (a.kind === 'func') check([a], false);
      } else if (rest.length > 0 || piped) {
        fail(line, `can't give argument to non-function ${describe(first!)}`);
      }
    }
    const pipe = pipeline(0);
    if (i < toks.length) fail(line, `unexpected "${toks[i]!.t}" in ${ctx}`);
    return pipe;
  }

  /** Parses items until `{{end}}` or `{{else}}` (when `inBlock`), or the end of the source. */
  function list(inBlock: boolean): { nodes: Node[]; stop: 'end' | 'else' | 'eof'; last?: ActionItem } {
    const nodes: Node[] = [];
    while (at < items.length) {
      const item = items[at++]!;
      if (item.kind === 'text') {
        nodes.push(item);
        continue;
      }
      const head = item.toks[0];
      const word = head?.t === 'ident' ? head.name : undefined;
      if (item.toks.length === 0) fail(item.line, 'missing value for command');
      if (word === 'end' || word === 'else') {
        if (!inBlock) fail(item.line, `unexpected {{${word}}}`);
        if (word === 'end' && item.toks.length > 1) fail(item.line, 'unexpected tokens after {{end}}');
        return { nodes, stop: word, last: item };
      }
      if (word === 'if' || word === 'with' || word === 'range') nodes.push(block(word, item, item.toks.slice(1)));
      else if (word !== undefined && UNSUPPORTED.has(word)) fail(item.line, `{{${word}}} is not supported by Lapis`);
      else {
        const pipe = parsePipe(item, item.toks, 'command', true);
        for (const v of pipe.decl) scopes[scopes.length - 1]!.add(v);
        nodes.push({ kind: 'action', pipe });
      }
    }
    if (inBlock) fail(items.length === 0 ? 1 : lineOfEnd(), 'unexpected EOF');
    return { nodes, stop: 'eof' };
  }

  function lineOfEnd(): number {
    return src.split('\n').length;
  }

  /** Parses a list inside its own variable scope. */
  function scoped(): ReturnType<typeof list> {
    scopes.push(new Set());
    try {
      return list(true);
    } finally {
      scopes.pop();
    }
  }

  function block(kind: 'if' | 'with' | 'range', item: ActionItem, toks: Tok[]): Node {
    // Variables declared in the control pipeline are visible in both branches, until {{end}}.
    scopes.push(new Set());
    try {
      const pipe = parsePipe(item, toks, kind, true);
      for (const v of pipe.decl) scopes[scopes.length - 1]!.add(v);
      const body = scoped();
      let elseNodes: Node[] = [];
      if (body.stop === 'else') {
        const elseItem = body.last!;
        const next = elseItem.toks[1];
        if (next?.t === 'ident' && next.name === 'if' && kind === 'if') {
          // `{{else if …}}` chains share the one `{{end}}`.
          elseNodes = [block('if', elseItem, elseItem.toks.slice(2))];
        } else {
          if (next !== undefined) fail(elseItem.line, 'unexpected tokens after {{else}}');
          const rest = scoped();
          if (rest.stop === 'else') fail(rest.last!.line, 'unexpected {{else}}');
          elseNodes = rest.nodes;
        }
      }
      return { kind, pipe, body: body.nodes, else: elseNodes };
    } finally {
      scopes.pop();
    }
  }

  return list(false).nodes;
}

export function describe(op: Operand): string {
  switch (op.kind) {
    case 'dot':
      return op.fields.length === 0 ? '.' : `.${op.fields.join('.')}`;
    case 'var':
      return [op.name, ...op.fields].join('.');
    case 'literal':
      return JSON.stringify(op.value);
    case 'func':
      return op.name;
    case 'sub':
      return '(…)';
  }
}
