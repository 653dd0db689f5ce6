import { type DecisionFilter, parseDecisionFilter } from '../../domain/decision-filter.js';
import { setLastPull } from '../../store/bouncers.js';
import { pullStream } from '../../usecases/pull-stream.js';
import type { AppDeps } from '../deps.js';
import { Type } from '@sinclair/typebox';
import { endpoint, QueryMap } from '../endpoint.js';
import { StreamPump } from '../stream-pump.js';
import { DecisionList, DecisionStream, decisionQueryFields } from '../schemas/decision.js';
import { ErrorBody } from '../schemas/errors.js';

const headOk = 'HEAD: the key (or certificate) is good, `text/plain` and an empty body.';
const malformed = { description: 'A malformed `ip`, `range` or `contains`.', schema: ErrorBody };

/** Query mode refreshes `last_pull` at most once a minute, as upstream. */
export const LAST_PULL_EVERY_MS = 60_000;

/**
 * A bouncer's query answered from the index through its allowlists, and counted as found or not: what the
 * route and the fast path (api/query-fast-path.ts) both send.
 */
export function answerQuery(deps: AppDeps, bouncer: string, filter: DecisionFilter, now: number): { count: number; body: Buffer } {
  const who = { kind: 'bouncer', name: bouncer } as const;
  const view = deps.allowlists.viewFor(who, now);
  // blocklists reach the bouncers their subscriptions name (the filter may carry a lazy `range`: set, not spread)
  const audience = deps.allowlists.audienceFor(who);
  filter.audience = audience;
  const found = deps.feed.index.queryBody(filter, now, view);
  (found.count > 0 ? deps.metrics?.decisionsOk : deps.metrics?.decisionsKo)?.inc({ bouncer });
  return found;
}

/** Decisions, for bouncers (API key or certificate). Answers come from the in-memory index, never from a table scan. */
export function decisionEndpoints(deps: AppDeps) {
  const pump = new StreamPump();
  return {
    /** `GET /v1/decisions?ip=…`: what applies now, through the bouncer's allowlists. */
    query: endpoint({
      schema: { querystring: QueryMap },
      doc: {
        summary: 'The decisions that apply now',
        description:
          "Through the bouncer's allowlists and blocklist subscriptions. Often answered before routing by the query fast path (api/query-fast-path.ts), with the same bytes.",
        query: Type.Partial(Type.Object(decisionQueryFields)),
        responses: { 200: { description: `The decisions, \`null\` when none. ${headOk}`, schema: DecisionList }, 400: malformed },
      },
      handler: async (req, reply) => {
        const now = Date.now();
        const found = answerQuery(deps, req.bouncer.name, parseDecisionFilter(req.query), now);
        if (req.method === 'HEAD') return reply.code(200).type('text/plain; charset=utf-8').send('');
        const b = req.bouncer;
        if (b.lastPull === null || now - b.lastPull >= LAST_PULL_EVERY_MS) {
          await setLastPull(deps.db, b.id, now);
          b.lastPull = now;
        }
        return reply.type('application/json; charset=utf-8').send(found.body);
      },
    }),

    /** `GET /v1/decisions/stream`: the snapshot or delta of the bouncer's cursor (usecases/pull-stream.ts). */
    stream: endpoint({
      schema: { querystring: QueryMap },
      doc: {
        summary: "The decisions new and deleted since the bouncer's last pull",
        description:
          'A snapshot of every active decision on `startup=true`, on a first pull, or after a long absence; else the changes since the last pull, each (value, type, scope) once. `scopes` defaults to `ip,range`. Parameters upstream clients may send and that change nothing here (the answer is always deduplicated and complete): `dedup`, `limit`, `id_gt`.',
        query: Type.Partial(Type.Object({ startup: Type.String({ description: '`true`: a full snapshot.' }), ...decisionQueryFields })),
        responses: { 200: { description: `New and deleted decisions. ${headOk}`, schema: DecisionStream }, 400: malformed },
      },
      handler: async (req, reply) => {
        if (req.method === 'HEAD') return reply.code(200).type('text/plain; charset=utf-8').send('');
        const filter = parseDecisionFilter(req.query, ['ip', 'range']);
        const out = await pullStream(deps, req.bouncer, filter, req.query.startup === 'true');
        // one chunk built per read: a slow reader holds about two chunks, whatever the body's size
        return reply.type('application/json').send(pump.readable(out.body()));
      },
    }),
  };
}
