import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { parseUserAgent, sameHash } from '../../auth/api-key.js';
import { checkPassword, hashPassword } from '../../auth/password.js';
import { tlsMachine } from '../../auth/tls-identity.js';
import type { PeerCertificate, TlsAuth } from '../../auth/tls.js';
import { parseIp, rangeContains } from '../../domain/ip-range.js';
import {
  BadRequestError,
  EmptyBodyError,
  ForbiddenError,
  JwtAuthError,
  LapisError,
  TooManyRequestsError,
  UnauthorizedError,
  ValidationError,
} from '../../errors.js';
import { LoginThrottle } from '../../auth/login-throttle.js';
import { createMachine, getMachine, recordLogin } from '../../store/machines.js';
import { EMPTY_BODY, SMALL_BODY_BYTES } from '../body.js';
import type { AppDeps } from '../deps.js';
import { sendJwtError } from '../errors.js';
import { bearerToken } from '../auth-hooks.js';
import { endpoint } from '../endpoint.js';
import { parseBody } from '../validate.js';
import { tokenResponse } from '../wire.js';
import { ErrorBody, JwtErrorBody } from '../schemas/errors.js';

/** The login and refresh answer (api/wire.ts tokenResponse). */
const TokenBody = Type.Object(
  { code: Type.Literal(200), expire: Type.String({ description: 'RFC 3339, local time.' }), token: Type.String() },
  { additionalProperties: false },
);
const token = { description: 'A machine token and when it expires.', schema: TokenBody };
const refused = {
  description:
    'Refused, upstream\'s way: `{"code":401,"message":…}` (bad credentials, an unknown or unvalidated machine, an unreadable body).',
  schema: JwtErrorBody,
  headers: { 'WWW-Authenticate': { description: '`JWT realm=Crowdsec API local`', schema: Type.String() } },
};
const internal = { description: 'An unexpected failure: `{"message":"internal server error"}`.', schema: ErrorBody };

const RegisterBody = Type.Object({
  // the column holds 255 characters on every engine (MySQL refuses more)
  machine_id: Type.String({ minLength: 1, maxLength: 255 }),
  password: Type.String({ minLength: 1 }),
  registration_token: Type.Optional(Type.String()),
});

const LoginBody = Type.Object({
  machine_id: Type.String(),
  password: Type.String(),
  scenarios: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
});

const small = { config: { maxBodyBytes: SMALL_BODY_BYTES } } as const;

function isLoopback(ip: string): boolean {
  return ip === '127.0.0.1' || ip === '::1';
}

/** Unauthenticated watcher routes: registration, login and token refresh. */
export function watcherEndpoints(deps: AppDeps) {
  const tls = deps.tls;
  const throttle = new LoginThrottle({
    failuresAllowed: deps.config.limits.loginFailuresAllowed,
    backoffMaxMs: deps.config.limits.loginBackoffMaxMs,
  });
  return {
    register: endpoint({
      ...small,
      doc: {
        summary: 'Register a machine (an agent)',
        body: { schema: RegisterBody },
        responses: {
          201: { description: 'Registered, waiting for validation (`lapis machines validate`).' },
          202: { description: 'Registered and validated (auto_registration: the right token from an allowed range).' },
          400: { description: 'The body is not JSON, or a field has the wrong type.', schema: ErrorBody },
          401: { description: 'auto_registration refused the token or the client address.', schema: ErrorBody },
          403: { description: 'Remote registration is disabled, or a machine of this name exists.', schema: ErrorBody },
          422: { description: 'A field is missing or out of bounds: `validation failure list:` and the fields.', schema: ErrorBody },
        },
      },
      handler: async (req, reply) => {
        if (deps.config.server.disable_remote_lapi_registration && !isLoopback(req.clientIp)) {
          throw new ForbiddenError('access forbidden');
        }
        const body = parseBody(RegisterBody, req.body);
        const token = body.registration_token ?? '';
        if (token !== '' && (token.length < 32 || token.length > 255)) {
          throw new ValidationError(
            `validation failure list:\nregistration_token in body should be ${token.length < 32 ? 'at least 32' : 'at most 255'} chars long`,
          );
        }
        const validated = autoRegistration(deps, token, req.clientIp);
        const passwordHash = await hashPassword(body.password);
        await createMachine(deps.db, { machineId: body.machine_id, passwordHash, ipAddress: req.clientIp, isValidated: validated });
        req.log.info({ machine: body.machine_id, validated }, 'machine registered');
        return reply.code(validated ? 202 : 201).send();
      },
    }),

    login: endpoint({
      ...small,
      doc: {
        summary: 'Log a machine in: a password, or an agent TLS client certificate',
        description:
          'With a client certificate the body only needs to be JSON (its `scenarios` are read); the machine `CN@ip` is created on first login. Every refusal is the JWT 401; a parameter or body the shared layers refuse with a 400 is answered that way too.',
        body: { schema: LoginBody },
        sharedExcept: [400],
        responses: {
          200: token,
          401: refused,
          429: {
            description: 'Too many failed logins from this address or for this machine, or too many in progress.',
            schema: ErrorBody,
            headers: { 'Retry-After': { description: 'Seconds.', schema: Type.String() } },
          },
          500: internal,
        },
      },
      errorHandler: loginErrors(deps, tls),
      handler: async (req, reply) => {
        // a client certificate decides alone: the password in the body is not read (as pkg/apiserver/middlewares/v1/jwt.go)
        const peer = tls?.peer(req.raw.socket);
        const { machineId, scenarios } = peer
          ? await certificateLogin(deps, tls!, peer, req, req.body)
          : await passwordLogin(deps, throttle, req.clientIp, req.body);
        const ua = String(req.headers['user-agent'] ?? '');
        const { version } = parseUserAgent(ua);
        await recordLogin(deps.db, machineId, { scenarios, ipAddress: req.clientIp, version: version === 'N/A' ? undefined : version });
        // upstream's rule: a User-Agent that does not split into exactly two on '/' fails the login
        if (ua.split('/').length !== 2) throw new JwtAuthError('incorrect Username or Password');
        const issued = await deps.jwt.issue(machineId);
        return reply.send(tokenResponse(issued.token, issued.exp));
      },
    }),

    refresh: endpoint({
      errorHandler: loginErrors(deps, undefined),
      doc: {
        summary: 'A fresh token for a token still within its refresh window',
        sharedExcept: [400],
        responses: {
          200: token,
          400: { description: "The token's `exp` claim is missing or not a number.", schema: JwtErrorBody },
          401: { ...refused, description: 'The token is missing, invalid, past its refresh window, or its machine is gone.' },
          500: internal,
        },
      },
      handler: async (req, reply) => {
        const issued = await deps.sessions.refresh(bearerToken(req));
        return reply.send(tokenResponse(issued.token, issued.exp));
      },
    }),
  };
}

interface LoginInput {
  machineId: string;
  scenarios: string[] | undefined;
}

/**
 * The password login: the body's machine must exist, use a password, be validated and match it. Guesses
 * (unknown machines, wrong passwords) are slowed per source and per machine before any bcrypt is spent.
 */
async function passwordLogin(deps: AppDeps, throttle: LoginThrottle, source: string, raw: unknown): Promise<LoginInput> {
  throttle.checkSource(source);
  let body: ReturnType<typeof parseBody<typeof LoginBody>>;
  try {
    body = parseBody(LoginBody, raw);
  } catch (err) {
    if (err instanceof EmptyBodyError) throw new JwtAuthError('missing: EOF');
    throw new JwtAuthError((err as Error).message);
  }
  const machine = await getMachine(deps.db, body.machine_id);
  if (!machine) {
    throttle.failed(source, body.machine_id);
    throw new JwtAuthError('ent: machine not found');
  }
  throttle.checkMachine(machine.machineId, source, machine.ipAddress);
  if (machine.authType !== 'password') {
    throw new JwtAuthError(`machine ${machine.machineId} attempted to auth with password but it is configured to use ${machine.authType}`);
  }
  if (!machine.isValidated) throw new JwtAuthError(`machine ${machine.machineId} not validated`);
  if (!(await throttle.checking(() => checkPassword(body.password, machine.passwordHash)))) {
    throttle.failed(source, machine.machineId);
    throw new JwtAuthError('incorrect Username or Password');
  }
  throttle.succeeded(machine.machineId);
  return { machineId: machine.machineId, scenarios: body.scenarios ?? undefined };
}

/**
 * The certificate login (upstream's authTLS): the certificate must pass for the agent OUs; the machine
 * `CN@client-ip` is found or created; then the body must be JSON, of which only `scenarios` is read.
 * `bodyError` is the body parser's complaint, when it had one.
 */
async function certificateLogin(
  deps: AppDeps,
  tls: TlsAuth,
  peer: PeerCertificate,
  req: FastifyRequest,
  body: unknown,
  bodyError?: string,
): Promise<LoginInput> {
  const verdict = await tls.validate(peer, 'agent');
  if ('error' in verdict) {
    req.log.warn({ ip: req.clientIp, reason: verdict.error, tlsError: peer.tlsError }, 'TLS agent login failed');
    throw new JwtAuthError(verdict.error);
  }
  const machine = await tlsMachine(deps.db, verdict.cn, req.clientIp);
  const why = bodyError ?? scenariosProblem(body);
  if (why !== undefined) throw new JwtAuthError(`missing scenarios list in login request for TLS auth: ${why}`);
  return { machineId: machine.machineId, scenarios: scenariosOf(body) };
}

/** What keeps a TLS login body from giving a scenario list (Go decodes `{"scenarios": [...]}`, keys in any case). */
function scenariosProblem(body: unknown): string | undefined {
  if (body === undefined || body === EMPTY_BODY) return 'EOF';
  if (body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body))
    return `json: cannot unmarshal ${Array.isArray(body) ? 'array' : typeof body} into the login request`;
  const list = scenariosOf(body);
  if (list === undefined && scenariosValue(body) != null) return 'scenarios in body must be of type array';
  return undefined;
}

function scenariosValue(body: object): unknown {
  let value: unknown;
  for (const [k, v] of Object.entries(body)) if (k.toLowerCase() === 'scenarios') value = v;
  return value;
}

function scenariosOf(body: unknown): string[] | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const v = scenariosValue(body);
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

/** Login and refresh answer every failure the JWT way (`{"code":401,…}`), a too-large body excepted. */
function loginErrors(deps: AppDeps, tls: TlsAuth | undefined) {
  return async (err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) => {
    const peer = tls?.peer(req.raw.socket);
    if (peer && err instanceof BadRequestError) {
      // an unreadable body on a certificate login: upstream checks the certificate (and creates the machine) first
      try {
        await certificateLogin(deps, tls!, peer, req, undefined, err.message);
      } catch (e) {
        err = e as Error;
      }
    }
    if (err instanceof JwtAuthError) return sendJwtError(reply, err.statusCode, err.message);
    if (err instanceof TooManyRequestsError)
      return reply.code(429).header('retry-after', String(err.retryAfterS)).send({ message: err.message });
    if (err instanceof LapisError && err.statusCode === 400) return sendJwtError(reply, 401, `missing: ${err.message}`);
    if (err instanceof LapisError) return reply.code(err.statusCode).send({ message: err.message });
    req.log.error({ err }, 'login failed');
    return reply.code(500).send({ message: 'internal server error' });
  };
}

/** Whether a registration is validated at once (upstream's auto_registration: right token, allowed IP). */
function autoRegistration(deps: AppDeps, token: string, ip: string): boolean {
  const auto = deps.config.server.auto_registration;
  if (!auto.enabled || token === '') return false;
  if (!sameHash(token, auto.token ?? '')) throw new UnauthorizedError('invalid token for auto registration');
  const client = parseIp(ip);
  if (!deps.config.autoRegistrationRanges.some((r) => rangeContains(r, client))) {
    throw new UnauthorizedError('IP not in allowed range for auto registration');
  }
  return true;
}
