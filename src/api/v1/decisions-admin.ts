import { parseDecisionDeleteFilter } from '../../domain/decision-filter.js';
import { NotFoundError } from '../../errors.js';
import { activeDecisionIds, decisionExists, expireDecisionIds } from '../../store/decisions.js';
import type { AppDeps } from '../deps.js';
import { endpoint, Params, QueryMap } from '../endpoint.js';
import { parsePathId } from '../path-id.js';

/** Decision deletion, for machines (JWT): deleting expires, so bouncers receive it in `deleted`. */
export function decisionAdminEndpoints(deps: AppDeps) {
  return {
    deleteMatching: endpoint({
      schema: { querystring: QueryMap },
      handler: async (req, reply) => {
        const now = Date.now();
        const filter = parseDecisionDeleteFilter(req.query);
        const n = await expireDecisionIds(deps.db, await activeDecisionIds(deps.db, filter, now), now, true);
        await deps.settle('decisions');
        return reply.send({ nbDeleted: String(n) });
      },
    }),

    deleteOne: endpoint({
      schema: { params: Params('decision_id') },
      handler: async (req, reply) => {
        const id = parsePathId(req.params.decision_id, 'decision_id');
        // upstream answers 500 here; an unknown id is a 404
        if (!(await decisionExists(deps.db, id))) throw new NotFoundError(`decision with id '${id}' doesn't exist`);
        const n = await expireDecisionIds(deps.db, [id], Date.now(), false);
        await deps.settle('decisions');
        return reply.send({ nbDeleted: String(n) });
      },
    }),
  };
}
