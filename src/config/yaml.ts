import { readFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { isMap as isYamlMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import { ConfigError } from '../errors.js';
import { expandEnv } from './env.js';
import { ConfigSchema } from './schema.js';

type SchemaNode = TSchema & { type?: string; properties?: Record<string, TSchema>; items?: TSchema; anyOf?: SchemaNode[] };

/** YAML 1.1 booleans, which yaml.v3 still accepts when it decodes into a bool field. */
const YAML11_BOOLS: Record<string, boolean> = Object.fromEntries([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON'].map((w) => [w, true]),
  ...['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'].map((w) => [w, false]),
]);

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringSchema(schema: SchemaNode): boolean {
  return schema.type === 'string' || (schema.anyOf?.length !== undefined && schema.anyOf.every((s) => s.type === 'string'));
}

/**
 * Reads scalars the way upstream's yaml.v3 decodes them into typed fields: any scalar into a string
 * field is its text as written (`password: 0123` is "0123", not 123), and `yes`/`off`… into a bool field.
 */
function coerceScalars(node: unknown, schema: SchemaNode | undefined): void {
  if (!schema) return;
  if (isYamlMap(node) && schema.type === 'object') {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof key === 'string' && schema.properties && Object.hasOwn(schema.properties, key)) {
        coerceScalars(pair.value, schema.properties[key] as SchemaNode);
      }
    }
  } else if (isSeq(node) && schema.type === 'array') {
    for (const item of node.items) coerceScalars(item, schema.items as SchemaNode | undefined);
  } else if (isScalar(node)) {
    if (isStringSchema(schema) && node.value !== null && typeof node.value !== 'string') {
      node.value = node.source ?? String(node.value);
    } else if (schema.type === 'boolean' && typeof node.value === 'string' && Object.hasOwn(YAML11_BOOLS, node.value)) {
      node.value = YAML11_BOOLS[node.value];
    }
  }
}

/**
 * Reads one config file: `${VAR}` expanded, the first YAML document only (as yaml.v3's decoder), duplicate
 * keys refused, scalars coerced as above. Returns a mapping ({} for an empty file); throws ConfigError naming `path`.
 */
export function readYaml(path: string, env: NodeJS.ProcessEnv): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`config: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const yamlError = (err: Error) => new ConfigError(`config: ${path}: ${err.message.split('\n')[0]!.replace(/:$/, '')}`);
  const docs = parseAllDocuments(expandEnv(text, env));
  const doc = Array.isArray(docs) ? docs[0] : undefined;
  if (!doc) return {};
  if (doc.errors[0]) throw yamlError(doc.errors[0]);
  coerceScalars(doc.contents, ConfigSchema as SchemaNode);
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    throw yamlError(err as Error);
  }
  if (value === null || value === undefined) return {};
  if (!isMapping(value)) throw new ConfigError(`config: ${path}: expected a YAML mapping`);
  return value;
}
