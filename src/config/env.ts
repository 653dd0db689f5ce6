/**
 * `${VAR}` and `$VAR` expansion as upstream (go-cs-lib csstring.StrictExpand): an undefined variable is left
 * as it is, a defined empty one expands to nothing. Unlike upstream, an expanded value is not scanned again.
 * Used for config.yaml and the notifier files.
 */
export function expandEnv(text: string, env: NodeJS.ProcessEnv): string {
  const lookup = (name: string) => (Object.hasOwn(env, name) ? env[name] : undefined);
  let s = text;
  for (let i = 0; i < s.length - 1; i++) {
    if (s[i] !== '$') continue;
    let end: number; // index just past the reference
    let name: string;
    if (s[i + 1] === '{') {
      const close = s.indexOf('}', i + 2);
      if (close < 0) continue;
      name = s.slice(i + 2, close);
      end = close + 1;
    } else {
      end = i + 1;
      while (end < s.length && /[A-Za-z0-9_]/.test(s[end]!)) end++;
      if (end === i + 1) continue;
      name = s.slice(i + 1, end);
    }
    const value = lookup(name);
    if (value === undefined) continue;
    s = s.slice(0, i) + value + s.slice(end);
    i += value.length - 1;
  }
  return s;
}
