import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidValueError, JwtAuthError, LapisError, TooManyRequestsError } from '../errors.js';

/** Upstream's JWT realm header, sent with every `{"code":401,…}` answer. */
export const JWT_REALM = 'JWT realm=Crowdsec API local';

export function sendJwtError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).header('www-authenticate', JWT_REALM).send({ code: status, message });
}

/**
 * The one error handler: typed errors keep their status and message, an input that does not parse
 * (InvalidValueError, from whatever layer) is a 400 with its message; anything else is a 500 with a
 * generic message, logged with the request id. No stack trace or SQL ever reaches a client.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof JwtAuthError) return sendJwtError(reply, err.statusCode, err.message);
    if (err instanceof TooManyRequestsError) reply.header('retry-after', String(err.retryAfterS));
    if (err instanceof LapisError) return reply.code(err.statusCode).send({ message: err.message });
    if (err instanceof InvalidValueError) return reply.code(400).send({ message: err.message });
    const fe = err as FastifyError;
    if (fe.validation) {
      return reply.code(400).send({ message: fe.message });
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.code(fe.statusCode).send({ message: fe.message });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ message: 'internal server error' });
  });
}
