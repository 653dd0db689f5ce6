/** The lexer of the template subset (template.ts): text, actions and their tokens, `{{-`/`-}}` trimming, comments. */

export type Tok =
  | { t: 'dot'; fields: string[] }
  | { t: 'var'; name: string; fields: string[] }
  | { t: 'ident'; name: string }
  | { t: 'lit'; value: string | number | boolean | null }
  | { t: '|' | '(' | ')' | ',' | ':=' | '=' };

export type ActionItem = { kind: 'action'; toks: Tok[]; line: number; text: string };
export type Item = { kind: 'text'; text: string } | ActionItem;

const SPACE = /[ \t\r\n]/;
const IDENT = /[A-Za-z0-9_]/;
const NUMBER = /^[+-]?(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)/;

function readFields(src: string, i: number): [string[], number] {
  const fields: string[] = [];
  while (src[i] === '.' && /[A-Za-z_]/.test(src[i + 1] ?? '')) {
    let j = i + 1;
    while (j < src.length && IDENT.test(src[j]!)) j++;
    fields.push(src.slice(i + 1, j));
    i = j;
  }
  return [fields, i];
}

/** Splits the source into text and actions, applying `{{-`/`-}}` trimming and dropping comments. */
export function lex(src: string, fail: (line: number, msg: string) => never): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let trimNext = false;
  const lineAt = (i: number) => src.slice(0, i).split('\n').length;
  const pushText = (text: string) => {
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    if (text !== '') items.push({ kind: 'text', text });
  };
  for (;;) {
    const open = src.indexOf('{{', pos);
    if (open < 0) {
      pushText(src.slice(pos));
      return items;
    }
    let text = src.slice(pos, open);
    let i = open + 2;
    const line = lineAt(open);
    if (src[i] === '-' && SPACE.test(src[i + 1] ?? '')) {
      text = text.replace(/[ \t\r\n]+$/, '');
      i++;
    }
    pushText(text);
    trimNext = false;
    while (SPACE.test(src[i] ?? '')) i++;
    if (src.startsWith('/*', i)) {
      const close = src.indexOf('*/', i + 2);
      if (close < 0) fail(line, 'unclosed comment');
      const rest = /^(?:[ \t\r\n]+-)?\}\}/.exec(src.slice(close + 2));
      if (!rest) fail(line, 'comment ends before closing delimiter');
      trimNext = rest[0].length > 2;
      pos = close + 2 + rest[0].length;
      continue;
    }
    const toks: Tok[] = [];
    const start = i;
    for (;;) {
      const c = src[i];
      if (c === undefined) fail(line, 'unclosed action');
      if (SPACE.test(c)) {
        while (SPACE.test(src[i] ?? '')) i++;
        if (src.startsWith('-}}', i)) {
          trimNext = true;
          break;
        }
        continue;
      }
      if (src.startsWith('}}', i)) break;
      if (c === '"' || c === '`') {
        const end = c === '`' ? src.indexOf('`', i + 1) : /^"(?:[^"\\\n]|\\.)*"/.exec(src.slice(i))?.[0].length;
        if (end === undefined || end < 0) fail(line, c === '`' ? 'unterminated raw quoted string' : 'unterminated quoted string');
        if (c === '`') {
          toks.push({ t: 'lit', value: src.slice(i + 1, end) });
          i = end + 1;
        } else {
          const raw = src.slice(i, i + end);
          let value: string;
          try {
            value = JSON.parse(raw) as string;
          } catch {
            fail(line, `bad string syntax: ${raw}`);
          }
          toks.push({ t: 'lit', value });
          i += end;
        }
      } else if (c === '.' || c === '$') {
        let j = i + 1;
        if (c === '$') while (j < src.length && IDENT.test(src[j]!)) j++;
        const [fields, end] = readFields(src, c === '$' ? j : i);
        const stop = Math.max(end, j);
        const after = src[stop] ?? '';
        if (!(after === '' || SPACE.test(after) || '})|,:='.includes(after))) fail(line, `bad character after "${src.slice(i, stop)}"`);
        toks.push(c === '$' ? { t: 'var', name: src.slice(i, j), fields } : { t: 'dot', fields });
        i = stop;
      } else if (src.startsWith(':=', i)) {
        toks.push({ t: ':=' });
        i += 2;
      } else if ('|(),='.includes(c)) {
        toks.push({ t: c as '|' });
        i++;
      } else if (/[0-9+-]/.test(c) && NUMBER.test(src.slice(i))) {
        const m = NUMBER.exec(src.slice(i))![0];
        toks.push({ t: 'lit', value: Number(m) });
        i += m.length;
      } else if (/[A-Za-z_]/.test(c)) {
        let j = i;
        while (j < src.length && IDENT.test(src[j]!)) j++;
        const word = src.slice(i, j);
        toks.push(
          word === 'true' || word === 'false'
            ? { t: 'lit', value: word === 'true' }
            : word === 'nil'
              ? { t: 'lit', value: null }
              : { t: 'ident', name: word },
        );
        i = j;
      } else {
        fail(line, `unexpected "${c}" in command`);
      }
    }
    const actionText = src.slice(start, i).trim();
    if (trimNext) i++;
    items.push({ kind: 'action', toks, line, text: actionText });
    pos = i + 2;
  }
}
