import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The package version, read once from package.json (dist/src/ → the package root). */
export function lapisVersion(): string {
  if (cached === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
      cached = pkg.version ?? 'unknown';
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}

/** `lapis/<version>`: the server takes `type/version` from a User-Agent that splits in exactly two on `/`. */
export function userAgent(): string {
  return `lapis/${lapisVersion()}`;
}
