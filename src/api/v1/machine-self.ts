import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../errors.js';
import { deleteMachine, touchHeartbeat } from '../../store/machines.js';
import type { AppDeps } from '../deps.js';

/** What a logged-in machine does about itself: heartbeat and unregister. */
export async function machineSelfRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.get('/v1/heartbeat', async (req, reply) => {
    await touchHeartbeat(deps.db, req.machineId);
    deps.metrics?.lastHeartbeat.set({ machine: req.machineId }, Date.now() / 1000);
    return reply.code(200).send();
  });

  app.delete('/v1/watchers/self', async (req, reply) => {
    // upstream answers 500 here; an unknown machine is a 404
    deps.sessions.forget(req.machineId);
    if (!(await deleteMachine(deps.db, req.machineId))) throw new NotFoundError(`'${req.machineId}' does not exist`);
    return reply.code(204).send();
  });
}
