import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { itemLive } from '../../domain/allowlist.js';
import { parseIpOrRange } from '../../domain/ip-range.js';
import { BadRequestError, NotFoundError } from '../../errors.js';
import { lapiAllowlist } from '../allowlist-wire.js';
import type { AppDeps } from '../deps.js';
import { endpoint, Params, QueryMap } from '../endpoint.js';
import { AllowlistCheck, BulkCheck, BulkCheckResult, LapiAllowlist } from '../schemas/allowlist.js';
import { ErrorBody } from '../schemas/errors.js';
import { parseBody } from '../validate.js';

const WithContent = Type.Object({
  with_content: Type.Optional(Type.String({ description: '`true`: each list with its live items.' })),
});
const badValue = { description: 'The value is not an IP address or CIDR range.', schema: ErrorBody };

/**
 * Allowlists as agents read them (JWT; as pkg/apiserver/controllers/v1/allowlist.go): the lists that apply to the calling
 * machine (subscribed through `org`, `engine` with its name, or one of its tags), live items only.
 */
export function allowlistEndpoints(deps: AppDeps) {
  const viewOf = (req: FastifyRequest) => deps.allowlists.viewFor({ kind: 'machine', name: req.machineId });
  const contentOf = (listId: string, now: number) =>
    deps.allowlists.current.items.filter((i) => i.allowlistId === listId && itemLive(i, now));

  return {
    list: endpoint({
      schema: { querystring: QueryMap },
      doc: {
        summary: 'The allowlists that apply to the calling machine',
        query: WithContent,
        responses: { 200: { description: 'The lists (`[]` when none).', schema: Type.Array(LapiAllowlist) } },
      },
      handler: async (req) => {
        const state = deps.allowlists.current;
        const lists = viewOf(req)?.lists ?? new Set<string>();
        const now = Date.now();
        const content = req.query.with_content === 'true';
        return [...state.lists.values()].filter((l) => lists.has(l.id)).map((l) => lapiAllowlist(l, content ? contentOf(l.id, now) : null));
      },
    }),

    get: endpoint({
      // upstream's parameter name: the pattern is the `route` label of the request metrics
      schema: { querystring: QueryMap, params: Params('allowlist_name') },
      doc: {
        summary: 'One allowlist that applies to the calling machine, by name',
        query: WithContent,
        responses: {
          200: { description: 'The list.', schema: LapiAllowlist },
          404: { description: 'No list of this name applies to the machine.', schema: ErrorBody },
        },
      },
      handler: async (req) => {
        const name = req.params.allowlist_name;
        const lists = viewOf(req)?.lists;
        const list = [...deps.allowlists.current.lists.values()].find((l) => l.name === name && lists?.has(l.id));
        if (!list) throw new NotFoundError(`allowlist '${name}' not found`);
        return lapiAllowlist(list, req.query.with_content === 'true' ? contentOf(list.id, Date.now()) : null);
      },
    }),

    check: endpoint({
      schema: { params: Params('ip_or_range') },
      doc: {
        summary: 'Whether an IP address or range is allowlisted for the calling machine',
        responses: {
          200: {
            description: 'GET: `{"allowlisted":true,"reason":…}`, or `{}` when no list allows it. HEAD: allowlisted, an empty body.',
            schema: AllowlistCheck,
          },
          204: { description: 'HEAD: not allowlisted.' },
          400: badValue,
        },
      },
      handler: async (req, reply) => {
        const value = req.params.ip_or_range;
        if (value === '') throw new BadRequestError('value is required');
        // parsed first: a bad value is a 400 even for a machine no list covers
        const range = parseIpOrRange(value);
        const reasons = viewOf(req)?.reasons(range, Date.now()) ?? [];
        if (req.method === 'HEAD') return reply.code(reasons.length > 0 ? 200 : 204).send();
        return reasons.length > 0 ? { allowlisted: true, reason: reasons.join(', ') } : {};
      },
    }),

    checkMany: endpoint({
      doc: {
        summary: 'Which of several IP addresses or ranges are allowlisted for the calling machine',
        body: { schema: BulkCheck },
        responses: {
          200: { description: 'The targets some list allows (the others are left out).', schema: BulkCheckResult },
          400: { description: 'The body is malformed, `targets` is empty, or a target is not an IP address or range.', schema: ErrorBody },
        },
      },
      handler: async (req) => {
        const body = parseBody(BulkCheck, req.body, 400);
        if (body.targets.length === 0) throw new BadRequestError('targets list cannot be empty');
        const ranges = body.targets.map((t) => parseIpOrRange(t));
        const view = viewOf(req);
        const now = Date.now();
        const results = body.targets
          .map((t, i) => ({ allowlists: view?.reasons(ranges[i]!, now) ?? [], target: t }))
          .filter((r) => r.allowlists.length > 0);
        return { results };
      },
    }),
  };
}
