/**
 * Errors of the expression engine. Both carry the 1-based `line` and `column` of the offending token
 * and format their message the way expr-lang's `file.Error` does:
 * `reason (line:column)` followed by the source line and a caret under the column.
 * Callers branch on `code`; `reason` is the message without the position.
 */
export abstract class ExprError extends Error {
  abstract readonly code: string;
  readonly reason: string;
  readonly line: number;
  readonly column: number;

  constructor(reason: string, source: string, offset: number, options?: { cause?: unknown }) {
    const { line, column, text } = locate(source, offset);
    const snippet = text === '' ? '' : `\n | ${text.replace(/\t/g, ' ')}\n | ${'.'.repeat(column - 1)}^`;
    super(`${reason} (${line}:${column})${snippet}`, options);
    this.name = new.target.name;
    this.reason = reason;
    this.line = line;
    this.column = column;
  }
}

/** The source does not parse (or a literal regex does not compile): raised by `compile`. */
export class ExprSyntaxError extends ExprError {
  readonly code = 'EXPR_SYNTAX';
}

/** Evaluation failed: unknown name, type mismatch, nil member access, a host function threw… */
export class ExprRuntimeError extends ExprError {
  readonly code = 'EXPR_RUNTIME';
}

/** Line (1-based), column (1-based, counted in code points, as expr-lang counts runes) and line text. */
function locate(source: string, offset: number): { line: number; column: number; text: string } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  const column = [...source.slice(lineStart, Math.max(lineStart, offset))].length + 1;
  const end = source.indexOf('\n', lineStart);
  return { line, column, text: source.slice(lineStart, end === -1 ? source.length : end) };
}
