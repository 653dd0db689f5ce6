import { Type } from '@sinclair/typebox';

/** Every refusal of the error handler (api/errors.ts) and the auth hooks: CrowdSec's ErrorResponse, `message` only. */
export const ErrorBody = Type.Object(
  { message: Type.String() },
  { additionalProperties: false, description: "CrowdSec's ErrorResponse: what went wrong, in one message." },
);

/** A JWT refusal (api/errors.ts sendJwtError): upstream's middleware shape, `code` repeating the status. */
export const JwtErrorBody = Type.Object(
  { code: Type.Integer(), message: Type.String() },
  { additionalProperties: false, description: 'A JWT refusal, as upstream sends it: the status again in `code`, and why.' },
);

/** Fastify's own answer while the server closes (`return503OnClosing`): written before any of our hooks run. */
export const ClosingBody = Type.Object(
  { error: Type.String(), message: Type.String(), statusCode: Type.Integer() },
  { additionalProperties: false, description: "Fastify's answer while the server shuts down." },
);

/** `{"nbDeleted":"3"}`: how many were deleted, as a string (as upstream). */
export const DeleteCount = Type.Object(
  { nbDeleted: Type.String({ pattern: '^[0-9]+$' }) },
  { additionalProperties: false, description: 'How many were deleted, as a decimal string.' },
);
