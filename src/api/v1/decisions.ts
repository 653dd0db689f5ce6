import type { FastifyInstance } from 'fastify';
import { parseDecisionFilter } from '../../domain/decision-filter.js';
import { getStreamCursor, setLastPull, setStreamCursor } from '../../store/bouncers.js';
import type { AppDeps } from '../deps.js';
import { Readable } from 'node:stream';
import { bouncerDecisionList, streamBodyChunks } from '../wire.js';

type Query = Record<string, string | string[] | undefined>;

/** Query mode refreshes `last_pull` at most once a minute, as upstream. */
const LAST_PULL_EVERY_MS = 60_000;

/** Decisions, for bouncers (API key). Answers come from the in-memory index, never from a table scan. */
export async function decisionRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const index = deps.feed.index;

  app.route({
    method: ['GET', 'HEAD'],
    url: '/v1/decisions',
    handler: async (req, reply) => {
      const now = Date.now();
      const view = deps.allowlists.viewFor({ kind: 'bouncer', name: req.bouncer.name }, now);
      const found = index.query(parseDecisionFilter(req.query as Query), now, view);
      (found.length > 0 ? deps.metrics?.decisionsOk : deps.metrics?.decisionsKo)?.inc({ bouncer: req.bouncer.name });
      if (req.method === 'HEAD') return reply.code(200).type('text/plain; charset=utf-8').send('');
      const b = req.bouncer;
      if (b.lastPull === null || now - b.lastPull >= LAST_PULL_EVERY_MS) {
        await setLastPull(deps.db, b.id, now);
        b.lastPull = now;
      }
      return reply.type('application/json; charset=utf-8').send(bouncerDecisionList(found, now, false));
    },
  });

  app.route({
    method: ['GET', 'HEAD'],
    url: '/v1/decisions/stream',
    handler: async (req, reply) => {
      if (req.method === 'HEAD') return reply.code(200).type('text/plain; charset=utf-8').send('');
      const q = req.query as Query;
      const filter = parseDecisionFilter(q, ['ip', 'range']);
      const cursor = await getStreamCursor(deps.db, req.bouncer.id);
      // a cursor another node moved past what this one has applied: catch up first
      if (cursor.seq !== null && cursor.seq > deps.feed.servedSeq) await deps.feed.catchUp();
      if (cursor.allowlists > deps.allowlists.servedVersion) await deps.allowlists.refresh();
      const now = Date.now();
      const seq = deps.feed.servedSeq;
      const allowlistsVersion = deps.allowlists.servedVersion;
      const fresh = q.startup === 'true' || cursor.seq === null || cursor.lastPull === null || cursor.lastPull < now - deps.graceMs;
      // what the bouncer's allowlists cover is never served; what they started or stopped covering is sent again
      const who = { kind: 'bouncer', name: req.bouncer.name } as const;
      const view = deps.allowlists.viewFor(who, now);
      const out = fresh
        ? index.snapshot(filter, now, view)
        : index.delta(
            filter,
            cursor.seq!,
            cursor.lastPull!,
            now,
            view,
            deps.allowlists.changedSince(who, cursor.allowlists, cursor.lastPull!, now),
          );
      // the cursor moves only once the answer exists; a store error here is a 500 and the cursor stays
      await setStreamCursor(deps.db, req.bouncer.id, seq, now, allowlistsVersion);
      return reply.type('application/json').send(Readable.from(streamBodyChunks(out.new, out.deleted, now), { objectMode: false }));
    },
  });
}
