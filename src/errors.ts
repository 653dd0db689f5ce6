/**
 * Typed errors shared by the store, the API and the CLI. Each has a fixed HTTP status and a stable
 * `code`; callers branch on `code`, never on the message. The message is what a client or a CLI user reads.
 */
export abstract class LapisError extends Error {
  abstract readonly statusCode: number;
  abstract readonly code: string;
}

export class BadRequestError extends LapisError {
  readonly statusCode = 400;
  readonly code = 'BAD_REQUEST';
}

export class ValidationError extends LapisError {
  readonly statusCode = 422;
  readonly code = 'VALIDATION';
}

export class NotFoundError extends LapisError {
  readonly statusCode = 404;
  readonly code = 'NOT_FOUND';
}

export class ConflictError extends LapisError {
  // As upstream's HandleDBErrors: "user already exist" is a 403.
  readonly statusCode = 403;
  readonly code = 'CONFLICT';
}

/** A plain 401 `{"message":…}` (registration refusals), unlike the JWT-shaped ones below. */
export class UnauthorizedError extends LapisError {
  readonly statusCode = 401;
  readonly code = 'UNAUTHORIZED';
}

export class ForbiddenError extends LapisError {
  readonly statusCode = 403;
  readonly code = 'FORBIDDEN';
}

export class PayloadTooLargeError extends LapisError {
  readonly statusCode = 413;
  readonly code = 'PAYLOAD_TOO_LARGE';
  constructor() {
    super('http: request body too large');
  }
}

/** A machine-auth failure: answered `{"code":401,"message":…}` with upstream's WWW-Authenticate header. */
export class JwtAuthError extends LapisError {
  readonly code = 'JWT_AUTH';
  constructor(
    message: string,
    readonly statusCode: 400 | 401 = 401,
  ) {
    super(message);
  }
}

/** A name already taken, or a change the current state refuses (a list that still has subscribers). */
export class StateConflictError extends LapisError {
  readonly statusCode = 409;
  readonly code = 'STATE_CONFLICT';
}

/** A client that must wait before it tries again; `retryAfterS` becomes the Retry-After header. */
export class TooManyRequestsError extends LapisError {
  readonly statusCode = 429;
  readonly code = 'TOO_MANY_REQUESTS';
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(message);
  }
}

/**
 * A configuration Lapis cannot run with, found at load or at start. Not an HTTP error: the process stops.
 * The message names the file or the key path (`config: api.server.foo: unknown key`).
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
