import type { FastifyInstance } from 'fastify';
import { parseDecisionDeleteFilter } from '../../domain/decision-filter.js';
import { NotFoundError } from '../../errors.js';
import { activeDecisionIds, decisionExists, expireDecisionIds } from '../../store/decisions.js';
import type { AppDeps } from '../deps.js';
import { parsePathId } from '../path-id.js';

/** Decision deletion, for machines (JWT): deleting expires, so bouncers receive it in `deleted`. */
export async function decisionAdminRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.delete('/v1/decisions', async (req, reply) => {
    const now = Date.now();
    const filter = parseDecisionDeleteFilter(req.query as Record<string, string | string[] | undefined>);
    const n = await expireDecisionIds(deps.db, await activeDecisionIds(deps.db, filter, now), now, true);
    await deps.feed.catchUp();
    return reply.send({ nbDeleted: String(n) });
  });

  app.delete('/v1/decisions/:decision_id', async (req, reply) => {
    const id = parsePathId((req.params as { decision_id: string }).decision_id, 'decision_id');
    // upstream answers 500 here; an unknown id is a 404
    if (!(await decisionExists(deps.db, id))) throw new NotFoundError(`decision with id '${id}' doesn't exist`);
    const n = await expireDecisionIds(deps.db, [id], Date.now(), false);
    await deps.feed.catchUp();
    return reply.send({ nbDeleted: String(n) });
  });
}
