import { ConfigError } from '../errors.js';
import { isMapping } from './yaml.js';

function kindOf(v: unknown): 'mapping' | 'sequence' | 'scalar' {
  return isMapping(v) ? 'mapping' : Array.isArray(v) ? 'sequence' : 'scalar';
}

/** An own property even for `__proto__`, so that a key of that name is refused as unknown rather than swallowed. */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function mergeAt(base: unknown, over: unknown, at: string[], source: string): unknown {
  if (over === undefined) return base;
  if (base === undefined || base === null || over === null) return over;
  if (isMapping(base) && isMapping(over)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(base)) setOwn(out, k, v);
    for (const [k, v] of Object.entries(over)) setOwn(out, k, mergeAt(Object.hasOwn(base, k) ? base[k] : undefined, v, [...at, k], source));
    return out;
  }
  const [kb, ko] = [kindOf(base), kindOf(over)];
  if (kb === ko) return over;
  throw new ConfigError(`config: ${source}${at.join('.')}: can't merge a ${ko} into a ${kb}`);
}

/**
 * The `.local` overlay, as upstream's csyaml.Merge: maps merge key by key, lists and scalars are replaced,
 * null replaces anything, and a map, list or scalar over another kind is a ConfigError naming the key,
 * and `overlayPath` (the `.local` file) when given.
 */
export function mergeOverlay(base: unknown, over: unknown, overlayPath?: string): unknown {
  return mergeAt(base, over, [], overlayPath === undefined ? '' : `${overlayPath}: `);
}

/** A key set to null (`key:` with nothing after it) counts as absent. */
export function dropNulls(v: unknown): unknown {
  if (!isMapping(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) setOwn(out, k, dropNulls(x));
  return out;
}
