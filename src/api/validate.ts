import type { TSchema, Static } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { BadRequestError, ValidationError } from '../errors.js';
import { EMPTY_BODY } from './body.js';

/** How many problems one answer lists; the rest of the body is not even looked at. */
const MAX_PROBLEMS = 50;

/**
 * Body validation with go-openapi's wording, which upstream clients print and users search for:
 * `validation failure list:\nmachine_id in body is required`. `null` counts as absent, as in Go.
 * Unknown keys pass unless the schema closes the object (`additionalProperties: false`, the admin API's).
 */
export function bodyProblems(schema: TSchema, body: unknown): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of Value.Errors(schema, body)) {
    // a 10 MiB array of empty objects would otherwise be answered with a message many times its size
    if (out.length >= MAX_PROBLEMS) break;
    const path = e.path.replace(/^\//, '').split('/').join('.');
    if (seen.has(path)) continue;
    seen.add(path);
    out.push(problem(e));
  }
  return out;
}

/** Errors about a value of the right type that is out of bounds: worth naming inside a union. */
const BOUNDS = new Set([
  ValueErrorType.StringMinLength,
  ValueErrorType.StringMaxLength,
  ValueErrorType.NumberMaximum,
  ValueErrorType.IntegerMaximum,
  ValueErrorType.NumberMinimum,
  ValueErrorType.IntegerMinimum,
  ValueErrorType.ArrayMinItems,
  ValueErrorType.ArrayMaxItems,
  ValueErrorType.ObjectMaxProperties,
]);

function problem(e: ValueError): string {
  const where = `${e.path.replace(/^\//, '').split('/').join('.')} in body`;
  // a schema that declares additionalProperties: false names the stray key, whatever its value (null included)
  if (e.type === ValueErrorType.ObjectAdditionalProperties) return `${where} is a forbidden property`;
  if (e.value === undefined || e.value === null) return `${where} is required`;
  switch (e.type) {
    case ValueErrorType.StringMinLength:
      return `${where} should be at least ${e.schema.minLength} chars long`;
    case ValueErrorType.StringMaxLength:
      return `${where} should be at most ${e.schema.maxLength} chars long`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `${where} should be less than or equal to ${e.schema.maximum}`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `${where} should be greater than or equal to ${e.schema.minimum}`;
    case ValueErrorType.ArrayMinItems:
      return `${where} should have at least ${e.schema.minItems} items`;
    case ValueErrorType.ArrayMaxItems:
      return `${where} should have at most ${e.schema.maxItems} items`;
    case ValueErrorType.ObjectMaxProperties:
      return `${where} should have at most ${e.schema.maxProperties} properties`;
    case ValueErrorType.Union: {
      // `string | null` given a string too long: the string branch says why, not "must be of type object"
      const bound = e.errors.map((it) => it.First()).find((x) => x !== undefined && BOUNDS.has(x.type));
      if (bound) return problem(bound);
    }
  }
  return `${where} must be of type ${expected(e.schema)}: "${typeName(e.value)}"`;
}

function expected(schema: TSchema): string {
  const t = (schema as { type?: unknown }).type;
  return typeof t === 'string' ? t : 'object';
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  return typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v;
}

/** Decodes a JSON body against a schema: absent body → 400 `EOF`; problems → 422 listing them. */
export function parseBody<S extends TSchema>(schema: S, body: unknown, status: 400 | 422 = 422): Static<S> {
  if (body === undefined || body === EMPTY_BODY) throw new BadRequestError('EOF');
  const problems = bodyProblems(schema, body);
  if (problems.length > 0) {
    const message = `validation failure list:\n${problems.join('\n')}`;
    throw status === 422 ? new ValidationError(message) : new BadRequestError(message);
  }
  return body as Static<S>;
}
