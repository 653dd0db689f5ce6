/**
 * Typed errors shared by the store, the API and the CLI, in two families:
 * - `InvalidValueError`: an input (a query parameter, a body field, a flag, a config key, a file) that does not
 *   parse. It knows nothing of HTTP: the API answers it 400, the CLI prints it as one line (exit 1).
 * - `LapisError`: a refusal with a fixed HTTP status and a stable `code` (not found, conflict, auth…).
 * Callers branch on the class or the `code`, never on the message. The message is what a client or a CLI user reads.
 */

export interface InvalidValueOptions {
  /** The input's name (`ip`, `0.decisions.1.duration`, `row 3`), when the thrower knows it. */
  field?: string | undefined;
  cause?: unknown;
}

/**
 * A value from outside that does not parse or is out of bounds. Subclasses keep this constructor, so that
 * `withField` can prefix any of them without changing its class.
 */
export class InvalidValueError extends Error {
  override name = 'InvalidValueError';
  readonly field: string | undefined;
  constructor(message: string, options: InvalidValueOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.field = options.field;
  }
}

/**
 * Runs `fn`; an InvalidValueError it throws comes out with `field: ` before its message, as Go's
 * `fmt.Errorf("%s: %w", field, err)` would wrap it: same class, the original as `cause`, `field` set
 * unless the thrower already named a more precise one. Any other error passes through.
 */
export function withField<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof InvalidValueError)) throw err;
    const Same = err.constructor as new (message: string, options: InvalidValueOptions) => InvalidValueError;
    throw new Same(`${field}: ${err.message}`, { field: err.field ?? field, cause: err });
  }
}

export abstract class LapisError extends Error {
  abstract readonly statusCode: number;
  abstract readonly code: string;
}

export class BadRequestError extends LapisError {
  readonly statusCode = 400;
  readonly code: string = 'BAD_REQUEST';
}

/** No body at all where one is required: Go's decoder says `EOF`, and the login answers it its own way. */
export class EmptyBodyError extends BadRequestError {
  override readonly code = 'EMPTY_BODY';
  constructor() {
    super('EOF');
  }
}

export class ValidationError extends LapisError {
  readonly statusCode = 422;
  readonly code = 'VALIDATION';
}

export class NotFoundError extends LapisError {
  readonly statusCode = 404;
  readonly code = 'NOT_FOUND';
}

/** A machine or bouncer name already taken: as upstream's HandleDBErrors, "user already exist" is a 403. */
export class UserExistsError extends LapisError {
  readonly statusCode = 403;
  readonly code = 'USER_EXISTS';
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

/** A name already taken (an allowlist, an admin key), or a change the current state refuses (a list that still has subscribers). */
export class ConflictError extends LapisError {
  readonly statusCode = 409;
  readonly code = 'CONFLICT';
}

/** A request the Service API refuses for its size (more than 20,000 IPs in one operation): 412, as the console. */
export class PreconditionFailedError extends LapisError {
  readonly statusCode = 412;
  readonly code = 'PRECONDITION_FAILED';
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
export class ConfigError extends InvalidValueError {
  override name = 'ConfigError';
}
