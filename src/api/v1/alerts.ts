import type { FastifyReply } from 'fastify';
import { parseAlertFilter } from '../../domain/alert-filter.js';
import { parseIp, rangeContains } from '../../domain/ip-range.js';
import { ForbiddenError, NotFoundError } from '../../errors.js';
import { deleteAlerts, getAlert, matchingAlertIds, searchAlerts } from '../../store/alerts.js';
import { ingestAlerts } from '../../usecases/ingest-alerts.js';
import type { AppDeps } from '../deps.js';
import { endpoint, Params, QueryMap } from '../endpoint.js';
import { parsePathId } from '../path-id.js';
import { AlertOut, AlertQuery, AlertsIn, parseAlerts } from '../schemas/alert.js';
import { DeleteCount, ErrorBody } from '../schemas/errors.js';
import { Type } from '@sinclair/typebox';

const headOk = 'HEAD: `text/plain` and an empty body.';
const badId = { description: 'The id is not a positive integer.', schema: ErrorBody };
const badFilter = { description: 'An unknown or malformed filter parameter.', schema: ErrorBody };
const untrusted = { description: 'The client address is not a trusted IP (api.server.trusted_ips, or loopback).', schema: ErrorBody };
const deleted = { description: 'Deleted, with their decisions: how many alerts.', schema: DeleteCount };
import { alertWire } from '../wire.js';

const AlertId = Params('alert_id');

/** HEAD on the alert routes: 200, text/plain, empty (as upstream). */
function emptyOk(reply: FastifyReply) {
  return reply.code(200).type('text/plain; charset=utf-8').send('');
}

/** Alerts, for machines (JWT). Deletion also requires a trusted client IP. */
export function alertEndpoints(deps: AppDeps) {
  const trusted = deps.config.trustedIps;
  const checkTrusted = (ip: string) => {
    const client = parseIp(ip);
    const ok = ip === '127.0.0.1' || ip === '::1' || trusted.some((r) => rangeContains(r, client));
    if (!ok) throw new ForbiddenError(`access forbidden from this IP (${ip})`);
  };

  return {
    /** `POST /v1/alerts`: the ingestion pipeline (usecases/ingest-alerts.ts). */
    push: endpoint({
      doc: {
        summary: 'Push alerts (and the decisions they carry, or the profiles make)',
        body: { schema: AlertsIn },
        responses: {
          201: { description: 'Stored: their ids, as strings, in order.', schema: Type.Array(Type.String()) },
          400: { description: 'A field is missing or malformed (named in the message); nothing is stored.', schema: ErrorBody },
        },
      },
      handler: async (req, reply) => {
        const now = Date.now();
        const ids = await ingestAlerts(deps, req.machineId, parseAlerts(req.body, now), req.log, now);
        return reply.code(201).send(ids.map(String));
      },
    }),

    search: endpoint({
      schema: { querystring: QueryMap },
      doc: {
        summary: 'Search alerts',
        query: AlertQuery,
        responses: {
          200: { description: `The alerts, \`null\` when none. ${headOk}`, schema: Type.Union([Type.Array(AlertOut), Type.Null()]) },
          400: badFilter,
        },
      },
      handler: async (req, reply) => {
        const now = Date.now();
        const alerts = await searchAlerts(deps.db, parseAlertFilter(req.query, now), now);
        if (req.method === 'HEAD') return emptyOk(reply);
        return reply.send(alerts.length === 0 ? null : alerts.map((a) => alertWire(a, now)));
      },
    }),

    get: endpoint({
      schema: { params: AlertId },
      doc: {
        summary: 'One alert',
        responses: {
          200: { description: `The alert. ${headOk}`, schema: AlertOut },
          400: badId,
          404: { description: 'No alert has this id: `{"message":"object not found"}`.', schema: ErrorBody },
        },
      },
      handler: async (req, reply) => {
        const alert = await getAlert(deps.db, parsePathId(req.params.alert_id, 'alert_id'));
        if (!alert) throw new NotFoundError('object not found');
        if (req.method === 'HEAD') return emptyOk(reply);
        return reply.send(alertWire(alert, Date.now()));
      },
    }),

    deleteMatching: endpoint({
      schema: { querystring: QueryMap },
      doc: {
        summary: 'Delete the alerts matching a filter',
        query: AlertQuery,
        responses: { 200: deleted, 400: badFilter, 403: untrusted },
      },
      handler: async (req, reply) => {
        checkTrusted(req.clientIp);
        const now = Date.now();
        const ids = await matchingAlertIds(deps.db, parseAlertFilter(req.query, now), now);
        const n = await deleteAlerts(deps.db, ids, now);
        await deps.settle('decisions');
        return reply.send({ nbDeleted: String(n) });
      },
    }),

    deleteOne: endpoint({
      schema: { params: AlertId },
      doc: {
        summary: 'Delete one alert',
        responses: { 200: deleted, 400: badId, 403: untrusted, 404: { description: 'No alert has this id.', schema: ErrorBody } },
      },
      handler: async (req, reply) => {
        checkTrusted(req.clientIp);
        const id = parsePathId(req.params.alert_id, 'alert_id');
        // upstream answers 500 `ent: alert not found`; an unknown id is a 404
        if (!(await getAlert(deps.db, id))) throw new NotFoundError('alert not found');
        const n = await deleteAlerts(deps.db, [id]);
        await deps.settle('decisions');
        return reply.send({ nbDeleted: String(n) });
      },
    }),
  };
}
