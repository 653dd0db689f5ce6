import type { FastifyInstance } from 'fastify';
import { BadRequestError, JwtAuthError, ValidationError } from '../../errors.js';
import { recordUsageMetrics } from '../../store/usage-metrics.js';
import { bearerToken, bouncerAuthentication } from '../auth-hooks.js';
import type { AppDeps } from '../deps.js';
import { AllMetrics, hubStateOf, reportOf, storageProblems } from '../schemas/usage-metrics.js';
import { sendJwtError } from '../errors.js';
import { parseBody } from '../validate.js';

function refuse(problems: string[]): void {
  if (problems.length > 0) throw new ValidationError(`validation failure list:\n${problems.join('\n')}`);
}

/**
 * `POST /v1/usage-metrics` (protocol §4.16): agents and bouncers report their version, OS, features
 * and counters. The caller's kind is picked from its headers, as upstream. Only validated, named fields are
 * stored, within the bounds documented in schemas/usage-metrics.ts.
 */
export async function usageMetricsRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  // an API key or, on the TLS listener, a bouncer certificate
  const authenticate = bouncerAuthentication(deps, app.log);
  app.post('/v1/usage-metrics', async (req, reply) => {
    const key = req.headers['x-api-key'];
    const ua = String(req.headers['user-agent'] ?? '');
    const asBouncer = (typeof key === 'string' && key !== '') || (!req.headers.authorization && !ua.startsWith('crowdsec/'));
    let machineId: string | undefined;
    let bouncer: Awaited<ReturnType<typeof authenticate>>;
    if (asBouncer) {
      bouncer = await authenticate(req);
      if (!bouncer) return reply.code(403).send({ message: 'access forbidden' });
    } else {
      try {
        machineId = (await deps.sessions.verify(bearerToken(req))).id;
      } catch (err) {
        if (err instanceof JwtAuthError) return sendJwtError(reply, err.statusCode, err.message);
        throw err;
      }
    }
    // type errors are a 400 (upstream's decoder refuses them), missing fields a 422 (its validator)
    const body = parseBody(AllMetrics, req.body, 'decoder-first');
    const rc = body.remediation_components ?? [];
    const lp = body.log_processors ?? [];
    if (rc.length > 0 && lp.length > 0) throw new BadRequestError('Payload has both LP and RC data');
    if (bouncer) {
      if (rc.length === 0) throw new BadRequestError('Missing remediation component data');
      if (rc.length > 1) throw new BadRequestError('Payload has more than one remediation component');
      const c = rc[0]!;
      refuse(storageProblems(c, 'remediation_components.0'));
      await recordUsageMetrics(deps.db, { kind: 'RC', bouncerId: bouncer.id, bouncerName: bouncer.name, type: c.type }, reportOf(c));
    } else {
      if (lp.length === 0) throw new BadRequestError('Missing log processor data');
      if (lp.length > 1) throw new BadRequestError('Payload has more than one log processor');
      const c = lp[0]!;
      refuse(storageProblems(c, 'log_processors.0'));
      await recordUsageMetrics(
        deps.db,
        { kind: 'LP', machineId: machineId!, hubstate: hubStateOf(c), datasources: { ...c.datasources } },
        reportOf(c),
      );
    }
    return reply.code(201).send();
  });
}
