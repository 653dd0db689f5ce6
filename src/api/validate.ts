import type { TSchema, Static } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { BadRequestError, EmptyBodyError, ValidationError } from '../errors.js';
import { EMPTY_BODY } from './body.js';

/** How many problems one answer lists; the rest of the body is not even looked at. */
const MAX_PROBLEMS = 50;

/** One thing wrong with a body, in go-openapi's words. */
interface Problem {
  text: string;
  /** A value of the wrong JSON type, which Go's decoder refuses before any validator runs. */
  wrongType: boolean;
}

/**
 * Body validation with go-openapi's wording, which upstream clients print and users search for:
 * `validation failure list:\nmachine_id in body is required`. `null` counts as absent, as in Go.
 * Unknown keys pass unless the schema closes the object (`additionalProperties: false`, the admin API's).
 */
function bodyProblems(schema: TSchema, body: unknown): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
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

function problem(e: ValueError): Problem {
  const where = `${e.path.replace(/^\//, '').split('/').join('.')} in body`;
  const text = (t: string): Problem => ({ text: t, wrongType: false });
  // a schema that declares additionalProperties: false names the stray key, whatever its value (null included)
  if (e.type === ValueErrorType.ObjectAdditionalProperties) return text(`${where} is a forbidden property`);
  if (e.value === undefined || e.value === null) return text(`${where} is required`);
  switch (e.type) {
    case ValueErrorType.StringMinLength:
      return text(`${where} should be at least ${e.schema.minLength} chars long`);
    case ValueErrorType.StringMaxLength:
      return text(`${where} should be at most ${e.schema.maxLength} chars long`);
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return text(`${where} should be less than or equal to ${e.schema.maximum}`);
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return text(`${where} should be greater than or equal to ${e.schema.minimum}`);
    case ValueErrorType.ArrayMinItems:
      return text(`${where} should have at least ${e.schema.minItems} items`);
    case ValueErrorType.ArrayMaxItems:
      return text(`${where} should have at most ${e.schema.maxItems} items`);
    case ValueErrorType.ObjectMaxProperties:
      return text(`${where} should have at most ${e.schema.maxProperties} properties`);
    case ValueErrorType.Union: {
      // `string | null` given a string too long: the string branch says why, not "must be of type object"
      const bound = e.errors.map((it) => it.First()).find((x) => x !== undefined && BOUNDS.has(x.type));
      if (bound) return problem(bound);
    }
  }
  return { text: `${where} must be of type ${expected(e.schema)}: "${typeName(e.value)}"`, wrongType: true };
}

function expected(schema: TSchema): string {
  const t = (schema as { type?: unknown }).type;
  return typeof t === 'string' ? t : 'object';
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  return typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v;
}

/**
 * How a body that does not fit its schema is refused, following the route's upstream code path:
 * - `422`: go-openapi's validator, every problem listed (`validation failure list:\n…`), the default;
 * - `400`: the same list as a 400 (the admin API, and alerts, where Lapis checks what upstream answers 500 to);
 * - `'decoder-first'`: Go's JSON decoder runs before the validator, so a value of the wrong type is a 400
 *   saying only that, and missing or out-of-bounds fields reach the validator's 422 list (usage metrics).
 */
export type BodyRefusal = 400 | 422 | 'decoder-first';

/**
 * Schemas compiled to checking functions, once each: a valid body (nearly every one) is accepted by the
 * compiled check alone, several times faster than walking the schema for errors, which only a body that
 * fails it pays for.
 */
const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();
function checkerOf(schema: TSchema): TypeCheck<TSchema> {
  let check = compiled.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check;
}

/** Decodes a JSON body against a schema: absent body → 400 `EOF` (EmptyBodyError); problems → as `refusal` says. */
export function parseBody<S extends TSchema>(schema: S, body: unknown, refusal: BodyRefusal = 422): Static<S> {
  if (body === undefined || body === EMPTY_BODY) throw new EmptyBodyError();
  if (checkerOf(schema).Check(body)) return body as Static<S>;
  const problems = bodyProblems(schema, body);
  if (problems.length === 0) return body as Static<S>;
  const wrongType = refusal === 'decoder-first' ? problems.find((p) => p.wrongType) : undefined;
  if (wrongType) throw new BadRequestError(wrongType.text);
  const message = `validation failure list:\n${problems.map((p) => p.text).join('\n')}`;
  throw refusal === 400 ? new BadRequestError(message) : new ValidationError(message);
}
