import { type TProperties, type TSchema, Type } from '@sinclair/typebox';
import type { ResponseDoc } from '../endpoint.js';
import { MAX_PAGE_SIZE } from '../pagination.js';

/**
 * What the admin API's OpenAPI docs share (the console's Service API shapes): the error body, the page
 * envelope, the pagination and boolean query parameters. Wire objects are closed (`additionalProperties:
 * false`): the wire builders write no other key, so a key added to one without its schema fails the suite's check.
 */

export const closed = { additionalProperties: false } as const;

/** A time as isoMicros writes it (`2026-05-01T09:00:00.123000Z`): always RFC 3339, in UTC. */
export const DateTime = (description?: string) =>
  Type.String({ format: 'date-time', ...(description === undefined ? {} : { description }) });

export const Nullable = <T extends TSchema>(t: T, description?: string) =>
  Type.Union([t, Type.Null()], description === undefined ? {} : { description });

/** An array the wire always sends empty: the field exists on the console, its content has no local meaning. */
export const AlwaysEmpty = (description: string) => Type.Array(Type.Unknown(), { maxItems: 0, description });

/** Every refusal a handler sends itself (api/errors.ts): its status and `{"message"}`. */
export const ErrorMessage = Type.Object({ message: Type.String({ description: 'What was refused, and why' }) }, closed);

/** `{status: description}` → the refusals' responses, each with the `{"message"}` body. */
export function refusals(byStatus: Record<number, string>): Record<number, ResponseDoc> {
  return Object.fromEntries(Object.entries(byStatus).map(([status, description]) => [status, { description, schema: ErrorMessage }]));
}

/** `{}`: what the Service API answers where it has nothing to say (an upload, an unsubscription). */
export const EmptyObject = Type.Object({}, closed);

/** fastapi-pagination's `Page`, as pagination.ts builds it. */
export function PageOf<T extends TSchema>(item: T, description: string) {
  const link = (what: string) => Type.String({ description: `The ${what} page: a path with page and size` });
  return Type.Object(
    {
      items: Type.Array(item),
      total: Type.Integer({ minimum: 0, description: 'Items in every page' }),
      page: Type.Integer({ minimum: 1 }),
      size: Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE }),
      pages: Type.Integer({ minimum: 0 }),
      links: Type.Object(
        {
          first: link('first'),
          last: link('last'),
          self: link('this'),
          next: Nullable(link('next'), 'null on the last page'),
          prev: Nullable(link('previous'), 'null on the first page'),
        },
        closed,
      ),
    },
    { ...closed, description },
  );
}

/** `page` and `size`, as parsePage reads them: the last value wins when one repeats. */
export const PageQuery = {
  page: Type.Optional(Type.String({ pattern: '^[0-9]+$', default: '1', description: 'Page number, from 1' })),
  size: Type.Optional(Type.String({ pattern: '^[0-9]+$', default: '50', description: `Page size, 1 to ${MAX_PAGE_SIZE}` })),
} satisfies TProperties;

/** A boolean query parameter (pagination.ts booleanQuery): `true` or `false`, anything else a 400. */
export const BooleanQuery = (description: string) => Type.Optional(Type.String({ enum: ['true', 'false'], default: 'false', description }));
