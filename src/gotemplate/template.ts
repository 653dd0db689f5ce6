// The `format` template of a notifier: a small subset of Go's text/template (and a few sprig functions),
// evaluated over the list of alerts a notifier sends in one message, as upstream feeds `[]*models.Alert`
// to FormatAlerts (pkg/csplugin/broker.go). The data is the alerts' wire (JSON) shape.
//
// Supported (anything else is a parse error at load time, naming the notifier):
//
// - Literal text, copied as is.
// - `{{pipeline}}` prints the value. Strings print as they are, numbers and booleans as Go does,
//   a missing value (absent key, null) prints nothing, and a list or object prints as JSON (Go would
//   print its `fmt` form, of no use in a notification).
// - `{{- …}}` and `{{… -}}` trim the whitespace before and after the action. `{{/* a comment */}}`.
// - Data: `.` (the current value: the alert list at the top), `.Field`, `.Field.Sub`, `$` (the alert list),
//   `$var` and `$var.Field`. A field name may be Go's (`.Scenario`, `.Source.IP`, `.EventsCount`,
//   `.MachineID`) or the JSON key (`.scenario`, `.source.ip`, `.events_count`): a key is looked up as
//   written, then in snake_case (`EventsCount` → `events_count`, `IP` → `ip`, `MachineID` → `machine_id`).
//   A field of a missing value is missing too; a field of a string, number or list is an error at send time.
// - Literals: "double-quoted" and `raw` strings, numbers, true, false, nil.
// - `{{$x := pipeline}}` declares a variable, visible until the `{{end}}` of the enclosing block.
// - `{{if pipeline}} … {{else if pipeline}} … {{else}} … {{end}}`: false, 0, "", a missing value and an
//   empty list are false; objects are true (they are Go structs upstream).
// - `{{with pipeline}} … {{else}} … {{end}}`: as if, with `.` set to the value.
// - `{{range pipeline}} … {{else}} … {{end}}` over a list (or an object's values, by sorted key), with
//   `.` set to each element; `{{range $e := …}}` and `{{range $i, $e := …}}` name the index and element.
//   The else branch runs when there is nothing to iterate over.
// - Pipelines `a | f b` (the value of `a` becomes the last argument of `f`) and parentheses `f (g .X)`.
// - Functions: `len x` (Go counts a string's bytes); `toJson x` and `toPrettyJson x` (sprig, that is Go's
//   json.Marshal: `<`, `>`, `&` escaped as `\u003c`…, two-space indent for the pretty one); `not x`;
//   `and x y…` / `or x y…` (the first false / true argument, or the last); `eq x y…` (x equals any of the
//   others) and `ne x y`; `lower s`, `upper s`; `default d x` (x unless it is false/empty, then d);
//   `env "NAME"` (sprig's; the environment given to the config loader).
//
// Not supported: `define`/`template`/`block`, `break`/`continue`, `$x = …` assignment, method calls
// (`.GetScope`), `printf`, and every other sprig function.

import { goJson } from '../go-format.js';
import { parse, describe, TemplateError, type Arity, type Node, type Operand, type Pipeline } from './parse.js';

export { TemplateError };

export interface Template {
  readonly name: string;
  /** Renders the template over `data`. Throws TemplateError when the data does not fit (a field of a string…). */
  execute(data: unknown): string;
}

export interface TemplateOptions {
  /** What `env "NAME"` reads. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Go's `truth`, over JSON values (objects stand for structs, which are always true). */
function truth(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '' || Number.isNaN(v)) return false;
  return Array.isArray(v) ? v.length > 0 : true;
}

function print(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return goJson(v);
}

function typeName(v: unknown): string {
  return Array.isArray(v) ? 'list' : v === null ? 'nil' : typeof v;
}

interface Func {
  arity: Arity;
  call(args: unknown[], env: TemplateOptions['env']): unknown;
}

const any = (min: number, max = min): Arity => ({ min, max });
const firstOr = (index: number, fallback: number) => (index < 0 ? fallback : index);

const FUNCS = new Map<string, Func>([
  ['len', { arity: any(1), call: ([v]) => length(v) }],
  ['toJson', { arity: any(1), call: ([v]) => goJson(v) }],
  ['toPrettyJson', { arity: any(1), call: ([v]) => goJson(v, 2) }],
  ['not', { arity: any(1), call: ([v]) => !truth(v) }],
  [
    'and',
    {
      arity: any(1, Infinity),
      call: (args) =>
        args[
          firstOr(
            args.findIndex((a) => !truth(a)),
            args.length - 1,
          )
        ],
    },
  ],
  [
    'or',
    {
      arity: any(1, Infinity),
      call: (args) =>
        args[
          firstOr(
            args.findIndex((a) => truth(a)),
            args.length - 1,
          )
        ],
    },
  ],
  ['eq', { arity: any(2, Infinity), call: ([a, ...rest]) => rest.some((b) => b === a) }],
  ['ne', { arity: any(2), call: ([a, b]) => a !== b }],
  ['lower', { arity: any(1), call: ([v]) => print(v).toLowerCase() }],
  ['upper', { arity: any(1), call: ([v]) => print(v).toUpperCase() }],
  [
    'default',
    {
      arity: any(2),
      call: ([d, v]) => (truth(v) && !(typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0) ? v : d),
    },
  ],
  ['env', { arity: any(1), call: ([name], env) => env?.[print(name)] ?? '' }],
]);

const ARITIES: ReadonlyMap<string, Arity> = new Map([...FUNCS].map(([name, f]) => [name, f.arity]));

function length(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (typeof v === 'object') return Object.keys(v).length;
  throw new TypeError(`len of type ${typeName(v)}`);
}

/** `EventsCount` → `events_count`, `IP` → `ip`, `MachineID` → `machine_id`. */
function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

function field(v: unknown, name: string): unknown {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`can't evaluate field ${name} in type ${typeName(v)}`);
  const o = v as Record<string, unknown>;
  if (Object.hasOwn(o, name)) return o[name];
  const snake = snakeCase(name);
  return Object.hasOwn(o, snake) ? o[snake] : undefined;
}

class Execution {
  readonly out: string[] = [];
  /** Variables in scope, innermost last; `$` first. */
  readonly vars: Array<[string, unknown]>;

  constructor(
    readonly name: string,
    data: unknown,
    readonly env: TemplateOptions['env'],
  ) {
    this.vars = [['$', data]];
  }

  walk(nodes: Node[], dot: unknown): void {
    const mark = this.vars.length;
    for (const node of nodes) {
      switch (node.kind) {
        case 'text':
          this.out.push(node.text);
          break;
        case 'action': {
          const v = this.pipe(node.pipe, dot);
          if (node.pipe.decl.length === 0) this.out.push(print(v));
          break;
        }
        case 'if':
        case 'with': {
          const inner = this.vars.length;
          const v = this.pipe(node.pipe, dot);
          if (truth(v)) this.walk(node.body, node.kind === 'with' ? v : dot);
          else this.walk(node.else, dot);
          this.vars.length = inner;
          break;
        }
        case 'range':
          this.range(node, dot);
          break;
      }
    }
    this.vars.length = mark;
  }

  range(node: Extract<Node, { body: Node[] }>, dot: unknown): void {
    const v = this.pipe({ ...node.pipe, decl: [] }, dot);
    let entries: Array<[unknown, unknown]>;
    if (v === undefined || v === null) entries = [];
    else if (Array.isArray(v)) entries = v.map((e, i) => [i, e]);
    else if (typeof v === 'object')
      entries = Object.keys(v)
        .sort()
        .map((k) => [k, (v as Record<string, unknown>)[k]]);
    else throw this.error(node.pipe, `range can't iterate over ${print(v)}`);
    if (entries.length === 0) {
      this.walk(node.else, dot);
      return;
    }
    const [first, second] = node.pipe.decl;
    for (const [key, elem] of entries) {
      const mark = this.vars.length;
      if (second !== undefined) this.vars.push([first!, key], [second, elem]);
      else if (first !== undefined) this.vars.push([first, elem]);
      this.walk(node.body, elem);
      this.vars.length = mark;
    }
  }

  pipe(pipe: Pipeline, dot: unknown): unknown {
    let value: unknown;
    pipe.cmds.forEach((cmd, i) => {
      const [head, ...rest] = cmd.args;
      try {
        if (head!.kind === 'func') {
          const args = rest.map((a) => this.operand(a, dot, pipe));
          if (i > 0) args.push(value);
          value = FUNCS.get(head!.name)!.call(args, this.env);
        } else {
          value = this.operand(head!, dot, pipe);
        }
      } catch (err) {
        if (err instanceof TemplateError) throw err;
        throw this.error(pipe, `error calling ${describe(head!)}: ${(err as Error).message}`);
      }
    });
    for (const name of pipe.decl) this.vars.push([name, value]);
    return value;
  }

  operand(op: Operand, dot: unknown, pipe: Pipeline): unknown {
    switch (op.kind) {
      case 'literal':
        return op.value;
      case 'func':
        return FUNCS.get(op.name)!.call([], this.env);
      case 'sub':
        return this.pipe(op.pipe, dot);
      case 'dot':
      case 'var': {
        let v = op.kind === 'dot' ? dot : this.lookup(op.name);
        for (const f of op.fields) {
          try {
            v = field(v, f);
          } catch (err) {
            throw this.error(pipe, (err as Error).message);
          }
        }
        return v;
      }
    }
  }

  lookup(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]![0] === name) return this.vars[i]![1];
    return undefined;
  }

  error(pipe: Pipeline, msg: string): TemplateError {
    return new TemplateError(`template: ${this.name}:${pipe.line}: executing at <${pipe.text}>: ${msg}`);
  }
}

/** Parses `source`; throws TemplateError (`template: NAME:LINE: …`) when it is outside the supported subset. */
export function parseTemplate(name: string, source: string, options: TemplateOptions = {}): Template {
  const tree = parse(name, source, ARITIES);
  return {
    name,
    execute(data: unknown): string {
      const run = new Execution(name, data, options.env);
      run.walk(tree, data);
      return run.out.join('');
    },
  };
}
