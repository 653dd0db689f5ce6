import { parseDecisionDeleteFilter } from '../../domain/decision-filter.js';
import { NotFoundError } from '../../errors.js';
import { activeDecisionIds, decisionExists, expireDecisionIds } from '../../store/decisions.js';
import type { AppDeps } from '../deps.js';
import { Type } from '@sinclair/typebox';
import { endpoint, Params, QueryMap } from '../endpoint.js';
import { parsePathId } from '../path-id.js';
import { decisionDeleteQueryFields } from '../schemas/decision.js';
import { DeleteCount, ErrorBody } from '../schemas/errors.js';

const deleted = { description: 'Expired (bouncers receive them as deleted): how many.', schema: DeleteCount };

/** Decision deletion, for machines (JWT): deleting expires, so bouncers receive it in `deleted`. */
export function decisionAdminEndpoints(deps: AppDeps) {
  return {
    deleteMatching: endpoint({
      doc: {
        summary: 'Delete the active decisions matching a filter',
        description:
          'Without a filter, every active decision. An unknown parameter is a 400, as is a malformed `ip`, `range` or `contains`.',
        query: Type.Partial(Type.Object(decisionDeleteQueryFields)),
        responses: { 200: deleted, 400: { description: 'An unknown or malformed parameter.', schema: ErrorBody } },
      },
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
      doc: {
        summary: 'Delete one decision',
        responses: {
          200: deleted,
          400: { description: 'The id is not a positive integer.', schema: ErrorBody },
          404: { description: 'No decision has this id.', schema: ErrorBody },
        },
      },
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
