/**
 * Checks on request JSON that no schema can express. No CrowdSec payload nests deeper than a handful of
 * levels (usage metrics' hub items are the deepest, at 5); a value nested 100,000 deep parses, but then
 * overflows the stack of every recursive walk after it (validation, JSON.stringify when stored).
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** Whether JSON text nests objects and arrays deeper than `max`: one pass, strings skipped. */
export function tooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

/**
 * The path (`alerts[0].scenario`, `labels.<key>` for a key) of the first string holding a NUL character,
 * or undefined. Called only when the raw text contains an escaped NUL, so the common case costs nothing.
 */
export function nulProblem(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? path || 'body' : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulProblem(value[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const at = path ? `${path}.${k}` : k;
      if (k.includes('\0')) return at.replaceAll('\0', '\\u0000');
      const found = nulProblem(v, at);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The name of the first query or path parameter holding a NUL character, or undefined. */
export function nulParameter(...sources: unknown[]): string | undefined {
  for (const source of sources) {
    if (!source || typeof source !== 'object') continue;
    for (const [k, v] of Object.entries(source)) {
      const values = Array.isArray(v) ? v : [v];
      if (k.includes('\0') || values.some((x) => typeof x === 'string' && x.includes('\0'))) return k.replaceAll('\0', '\\u0000');
    }
  }
  return undefined;
}
