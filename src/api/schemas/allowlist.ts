import { Type } from '@sinclair/typebox';

/** The LAPI's allowlist shapes (api/allowlist-wire.ts lapiAllowlist, upstream's GetAllowlistResponse): closed. */

const closed = { additionalProperties: false } as const;

const LapiAllowlistItem = Type.Object(
  {
    created_at: Type.String(),
    description: Type.Optional(Type.String()),
    expiration: Type.String({ description: "RFC 3339; Go's zero time (`0001-01-01T00:00:00.000Z`) when it never expires." }),
    value: Type.String(),
  },
  closed,
);

export const LapiAllowlist = Type.Object(
  {
    allowlist_id: Type.String(),
    created_at: Type.String(),
    description: Type.Optional(Type.String()),
    items: Type.Optional(Type.Array(LapiAllowlistItem, { description: 'Live items, with `with_content=true` only.' })),
    name: Type.String(),
    updated_at: Type.String(),
  },
  closed,
);

/** `GET /v1/allowlists/check/{ip_or_range}`: `{}` when nothing allows it. */
export const AllowlistCheck = Type.Union([
  Type.Object(
    { allowlisted: Type.Literal(true), reason: Type.String({ description: 'The lists that allow it, comma-separated.' }) },
    closed,
  ),
  Type.Object({}, closed),
]);

/** `POST /v1/allowlists/check`'s body. */
export const BulkCheck = Type.Object({ targets: Type.Array(Type.String()) });

/** `POST /v1/allowlists/check`: the targets some list allows, with those lists. */
export const BulkCheckResult = Type.Object(
  { results: Type.Array(Type.Object({ allowlists: Type.Array(Type.String()), target: Type.String() }, closed)) },
  closed,
);
