import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseUserAgent, sameHash } from '../../auth/api-key.js';
import { checkPassword, hashPassword } from '../../auth/password.js';
import { parseIpOrRange, parseIp, rangeContains } from '../../domain/ip-range.js';
import { BadRequestError, ForbiddenError, JwtAuthError, LapisError, UnauthorizedError, ValidationError } from '../../errors.js';
import { createMachine, getMachine, recordLogin } from '../../store/machines.js';
import { SMALL_BODY_BYTES } from '../body.js';
import type { AppDeps } from '../deps.js';
import { sendJwtError } from '../errors.js';
import { bearerToken } from '../auth-hooks.js';
import { parseBody } from '../validate.js';
import { tokenResponse } from '../wire.js';

const RegisterBody = Type.Object({
  machine_id: Type.String({ minLength: 1 }),
  password: Type.String({ minLength: 1 }),
  registration_token: Type.Optional(Type.String()),
});

const LoginBody = Type.Object({
  machine_id: Type.String(),
  password: Type.String(),
  scenarios: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
});

const small = { config: { maxBodyBytes: SMALL_BODY_BYTES } };

function isLoopback(ip: string): boolean {
  return ip === '127.0.0.1' || ip === '::1';
}

/** Unauthenticated watcher routes: registration, login and token refresh. */
export async function publicWatcherRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.post('/v1/watchers', small, async (req, reply) => {
    if (deps.config.server.disable_remote_lapi_registration && !isLoopback(req.clientIp)) {
      throw new ForbiddenError('access forbidden');
    }
    const body = parseBody(RegisterBody, req.body);
    const token = body.registration_token ?? '';
    if (token !== '' && (token.length < 32 || token.length > 255)) {
      throw new ValidationError(`validation failure list:\nregistration_token in body should be ${token.length < 32 ? 'at least 32' : 'at most 255'} chars long`);
    }
    const validated = autoRegistration(deps, token, req.clientIp);
    const passwordHash = await hashPassword(body.password);
    await createMachine(deps.db, { machineId: body.machine_id, passwordHash, ipAddress: req.clientIp, isValidated: validated });
    req.log.info({ machine: body.machine_id, validated }, 'machine registered');
    return reply.code(validated ? 202 : 201).send();
  });

  app.post('/v1/watchers/login', { ...small, errorHandler: loginErrors }, async (req, reply) => {
    let body;
    try {
      body = parseBody(LoginBody, req.body);
    } catch (err) {
      if (err instanceof BadRequestError && err.message === 'EOF') throw new JwtAuthError('missing: EOF');
      throw new JwtAuthError((err as Error).message);
    }
    const machine = await getMachine(deps.db, body.machine_id);
    if (!machine) throw new JwtAuthError('ent: machine not found');
    if (machine.authType !== 'password') {
      throw new JwtAuthError(`machine ${machine.machineId} attempted to auth with password but it is configured to use ${machine.authType}`);
    }
    if (!machine.isValidated) throw new JwtAuthError(`machine ${machine.machineId} not validated`);
    if (!(await checkPassword(body.password, machine.passwordHash))) throw new JwtAuthError('incorrect Username or Password');
    const ua = String(req.headers['user-agent'] ?? '');
    const { version } = parseUserAgent(ua);
    await recordLogin(deps.db, machine.machineId, { scenarios: body.scenarios ?? undefined, ipAddress: req.clientIp, version: version === 'N/A' ? undefined : version });
    // upstream's rule: a User-Agent that does not split into exactly two on '/' fails the login
    if (ua.split('/').length !== 2) throw new JwtAuthError('incorrect Username or Password');
    const issued = await deps.jwt.issue(machine.machineId);
    return reply.send(tokenResponse(issued.token, issued.exp));
  });

  app.get('/v1/refresh_token', { errorHandler: loginErrors }, async (req, reply) => {
    const issued = await deps.jwt.refresh(bearerToken(req));
    return reply.send(tokenResponse(issued.token, issued.exp));
  });
}

/** Login and refresh answer every failure the JWT way (`{"code":401,…}`), a too-large body excepted. */
function loginErrors(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof JwtAuthError) return sendJwtError(reply, err.statusCode, err.message);
  if (err instanceof LapisError && err.statusCode === 400) return sendJwtError(reply, 401, `missing: ${err.message}`);
  if (err instanceof LapisError) return reply.code(err.statusCode).send({ message: err.message });
  req.log.error({ err }, 'login failed');
  return reply.code(500).send({ message: 'internal server error' });
}

/** Whether a registration is validated at once (upstream's auto_registration: right token, allowed IP). */
function autoRegistration(deps: AppDeps, token: string, ip: string): boolean {
  const auto = deps.config.server.auto_registration;
  if (!auto.enabled || token === '') return false;
  if (!sameHash(token, auto.token ?? '')) throw new UnauthorizedError('invalid token for auto registration');
  const client = parseIp(ip);
  if (!auto.allowed_ranges.some((r) => rangeContains(parseIpOrRange(r), client))) {
    throw new UnauthorizedError('IP not in allowed range for auto registration');
  }
  return true;
}

