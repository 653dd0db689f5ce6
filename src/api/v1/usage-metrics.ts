import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { BadRequestError, JwtAuthError, ValidationError } from '../../errors.js';
import { recordUsageMetrics } from '../../store/usage-metrics.js';
import { bearerToken, bouncerAuthentication } from '../auth-hooks.js';
import { EMPTY_BODY } from '../body.js';
import type { AppDeps } from '../deps.js';
import { sendJwtError } from '../errors.js';
import { bodyProblems } from '../validate.js';

const Str255 = Type.String({ maxLength: 255 });
const Detailed = Type.Object({
  meta: Type.Object({ window_size_seconds: Type.Integer(), utc_now_timestamp: Type.Integer() }),
  items: Type.Array(
    Type.Object({ name: Str255, value: Type.Number(), unit: Str255, labels: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 255 }))) }),
  ),
});
const Base = {
  version: Str255,
  os: Type.Optional(Type.Object({ name: Str255, family: Type.Optional(Str255), version: Str255 })),
  metrics: Type.Optional(Type.Array(Detailed)),
  feature_flags: Type.Optional(Type.Array(Type.String())),
  utc_startup_timestamp: Type.Integer(),
};
const RemediationComponent = Type.Object({ ...Base, type: Type.Optional(Type.String()), name: Type.Optional(Type.String()), last_pull: Type.Optional(Type.Integer()) });
const LogProcessor = Type.Object({
  ...Base,
  hub_items: Type.Record(Type.String(), Type.Unknown()),
  datasources: Type.Record(Type.String(), Type.Integer()),
  name: Type.Optional(Type.String()),
  last_push: Type.Optional(Type.Integer()),
  last_update: Type.Optional(Type.Integer()),
});
const AllMetrics = Type.Object({
  remediation_components: Type.Optional(Type.Array(RemediationComponent)),
  log_processors: Type.Optional(Type.Array(LogProcessor)),
  lapi: Type.Optional(Type.Unknown()),
});

type Component = { version: string; os?: { name: string; family?: string; version: string }; metrics?: unknown[]; feature_flags?: string[]; type?: string };

/** Type errors are a 400 (upstream's decoder refuses them), missing fields a 422 (its validator). */
function check(schema: TSchema, body: unknown): void {
  const problems = bodyProblems(schema, body);
  if (problems.length === 0) return;
  const typeError = problems.find((p) => p.includes('must be of type'));
  if (typeError) throw new BadRequestError(typeError);
  throw new ValidationError(`validation failure list:\n${problems.join('\n')}`);
}

/**
 * `POST /v1/usage-metrics` (protocol §4.16): agents and bouncers report their version, OS, features
 * and counters. The caller's kind is picked from its headers, as upstream.
 */
export async function usageMetricsRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  // an API key or, on the TLS listener, a bouncer certificate
  const authenticate = bouncerAuthentication(deps, app.log);
  app.post('/v1/usage-metrics', async (req, reply) => {
    const key = req.headers['x-api-key'];
    const ua = String(req.headers['user-agent'] ?? '');
    const asBouncer = (typeof key === 'string' && key !== '') || (!req.headers.authorization && !ua.startsWith('crowdsec/'));
    let machineId: string | undefined;
    let bouncer;
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
    if (req.body === undefined || req.body === EMPTY_BODY) throw new BadRequestError('EOF');
    check(AllMetrics, req.body);
    const body = req.body as { remediation_components?: Component[]; log_processors?: (Component & { hub_items: unknown; datasources: unknown })[] };
    const rc = body.remediation_components ?? [];
    const lp = body.log_processors ?? [];
    if (rc.length > 0 && lp.length > 0) throw new BadRequestError('Payload has both LP and RC data');
    const report = (c: Component) => ({ version: c.version, os: c.os, featureFlags: c.feature_flags });
    if (bouncer) {
      if (rc.length === 0) throw new BadRequestError('Missing remediation component data');
      if (rc.length > 1) throw new BadRequestError('Payload has more than one remediation component');
      const c = rc[0]!;
      await recordUsageMetrics(deps.db, { kind: 'RC', bouncerId: bouncer.id, bouncerName: bouncer.name }, report(c), { type: c.type, metrics: c.metrics ?? [] });
    } else {
      if (lp.length === 0) throw new BadRequestError('Missing log processor data');
      if (lp.length > 1) throw new BadRequestError('Payload has more than one log processor');
      const c = lp[0]!;
      await recordUsageMetrics(deps.db, { kind: 'LP', machineId: machineId!, hubstate: c.hub_items, datasources: c.datasources }, report(c), { metrics: c.metrics ?? [] });
    }
    return reply.code(201).send();
  });
}
