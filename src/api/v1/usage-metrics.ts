import { BadRequestError, ValidationError } from '../../errors.js';
import { recordUsageMetrics } from '../../store/usage-metrics.js';
import type { AppDeps } from '../deps.js';
import { AllMetrics, hubStateOf, reportOf, storageProblems, withoutNulls } from '../schemas/usage-metrics.js';
import { endpoint } from '../endpoint.js';
import { ErrorBody } from '../schemas/errors.js';
import { parseBody } from '../validate.js';

function refuse(problems: string[]): void {
  if (problems.length > 0) throw new ValidationError(`validation failure list:\n${problems.join('\n')}`);
}

/**
 * `POST /v1/usage-metrics` (as pkg/apiserver/controllers/v1/usagemetrics.go): agents and bouncers report their version, OS, features
 * and counters; the route table's `either` group says which one called. Only validated, named fields are
 * stored, within the bounds documented in schemas/usage-metrics.ts.
 */
export function usageMetricsEndpoint(deps: AppDeps) {
  return endpoint({
    doc: {
      summary: 'Report usage metrics (a bouncer its remediation component, an agent its log processor)',
      body: { schema: AllMetrics },
      responses: {
        201: { description: 'Stored; an empty body.' },
        400: { description: 'A value of the wrong type, or the wrong kind or number of components for the caller.', schema: ErrorBody },
        422: {
          description: 'A required field is missing or a value is out of bounds: `validation failure list:` and the fields.',
          schema: ErrorBody,
        },
      },
    },
    handler: async (req, reply) => {
      // type errors are a 400 (upstream's decoder refuses them), missing fields a 422 (its validator)
      const body = parseBody(AllMetrics, withoutNulls(req.body), 'decoder-first');
      const rc = body.remediation_components ?? [];
      const lp = body.log_processors ?? [];
      if (rc.length > 0 && lp.length > 0) throw new BadRequestError('Payload has both LP and RC data');
      const caller = req.caller;
      if ('bouncer' in caller) {
        if (rc.length === 0) throw new BadRequestError('Missing remediation component data');
        if (rc.length > 1) throw new BadRequestError('Payload has more than one remediation component');
        const c = rc[0]!;
        refuse(storageProblems(c, 'remediation_components.0'));
        const { id, name } = caller.bouncer;
        await recordUsageMetrics(deps.db, { kind: 'RC', bouncerId: id, bouncerName: name, type: c.type }, reportOf(c));
      } else {
        if (lp.length === 0) throw new BadRequestError('Missing log processor data');
        if (lp.length > 1) throw new BadRequestError('Payload has more than one log processor');
        const c = lp[0]!;
        refuse(storageProblems(c, 'log_processors.0'));
        const hubstate = hubStateOf(c);
        await recordUsageMetrics(
          deps.db,
          { kind: 'LP', machineId: caller.machineId, hubstate, datasources: { ...c.datasources } },
          reportOf(c),
        );
      }
      return reply.code(201).send();
    },
  });
}
