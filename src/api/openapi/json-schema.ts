import type { TSchema } from '@sinclair/typebox';

/**
 * A TypeBox schema as plain JSON Schema 2020-12 (what OpenAPI 3.1 takes): TypeBox's own markers are symbol
 * keys, which a JSON round trip drops; what is left is standard JSON Schema.
 */
export function plainSchema(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

/** A copy with every object's keys sorted (arrays keep their order): the document's bytes never depend on insertion order. */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
  return out as T;
}

/** The document as the CLI prints it and the admin listener serves it: 2-space JSON and a newline. */
export function documentText(doc: object): string {
  return `${JSON.stringify(sortKeys(doc), null, 2)}\n`;
}
