import { NotFoundError } from '../../errors.js';
import { deleteMachine, touchHeartbeat } from '../../store/machines.js';
import type { AppDeps } from '../deps.js';
import { endpoint } from '../endpoint.js';
import { ErrorBody } from '../schemas/errors.js';

/** What a logged-in machine does about itself: heartbeat and unregister. */
export function machineSelfEndpoints(deps: AppDeps) {
  return {
    heartbeat: endpoint({
      doc: { summary: "Record the machine's heartbeat", responses: { 200: { description: 'Recorded; an empty body.' } } },
      handler: async (req, reply) => {
        await touchHeartbeat(deps.db, req.machineId);
        deps.metrics?.lastHeartbeat.set({ machine: req.machineId }, Date.now() / 1000);
        return reply.code(200).send();
      },
    }),

    unregister: endpoint({
      doc: {
        summary: 'Delete the calling machine',
        responses: {
          204: { description: 'Deleted; its tokens stop working.' },
          404: { description: 'The machine is already gone.', schema: ErrorBody },
        },
      },
      handler: async (req, reply) => {
        // upstream answers 500 here; an unknown machine is a 404
        deps.sessions.forget(req.machineId);
        if (!(await deleteMachine(deps.db, req.machineId))) throw new NotFoundError(`'${req.machineId}' does not exist`);
        return reply.code(204).send();
      },
    }),
  };
}
