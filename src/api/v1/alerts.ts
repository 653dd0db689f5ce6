import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseAlertFilter } from '../../domain/alert-filter.js';
import { parseIpOrRange, parseIp, rangeContains, type IpRange } from '../../domain/ip-range.js';
import { BadRequestError, ForbiddenError, NotFoundError } from '../../errors.js';
import { deleteAlerts, getAlert, insertAlerts, matchingAlertIds, searchAlerts } from '../../store/alerts.js';
import type { AppDeps } from '../deps.js';
import { parseAlerts } from '../schemas/alert.js';
import { alertWire } from '../wire.js';
import type { Alert, NewAlert } from '../../domain/alert.js';

/** The alert as just stored, for notifications (its decisions' ids are not read back). */
function storedAlert(a: NewAlert, id: number, uuid: string, machineId: string, now: number): Alert {
  return {
    ...a,
    id,
    uuid,
    machineId,
    createdAt: now,
    decisions: a.decisions.map((d) => ({ ...d, id: 0, uuid: '', alertId: id, seq: 0, createdAt: now })),
  };
}

type Query = Record<string, string | string[] | undefined>;

function alertId(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new BadRequestError('alert_id must be valid integer');
  return Number(text);
}

/** HEAD on the alert routes: 200, text/plain, empty (as upstream). */
function emptyOk(reply: FastifyReply) {
  return reply.code(200).type('text/plain; charset=utf-8').send('');
}

/** Alerts, for machines (JWT). Deletion also requires a trusted client IP. */
export async function alertRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const trusted: IpRange[] = deps.config.server.trusted_ips.map(parseIpOrRange);
  const checkTrusted = (ip: string) => {
    const client = parseIp(ip);
    const ok = ip === '127.0.0.1' || ip === '::1' || trusted.some((r) => rangeContains(r, client));
    if (!ok) throw new ForbiddenError(`access forbidden from this IP (${ip})`);
  };

  app.post('/v1/alerts', async (req, reply) => {
    const now = Date.now();
    const alerts = parseAlerts(req.body, now);
    // profiles give decisions to the alerts that come without, and choose notifications
    const { notify } = await deps.profiles.apply(deps.db, alerts, now);
    const { ids, uuids } = await insertAlerts(deps.db, alerts, req.machineId, now);
    // bouncers see the new decisions as soon as the agent has its answer
    await deps.feed.catchUp();
    if (deps.notifier) {
      alerts.forEach((a, i) => {
        for (const name of notify[i] ?? []) deps.notifier!.enqueue(name, [alertWire(storedAlert(a, ids[i]!, uuids[i]!, req.machineId, now), now)]);
      });
    }
    return reply.code(201).send(ids.map(String));
  });

  app.route({
    method: ['GET', 'HEAD'],
    url: '/v1/alerts',
    handler: async (req, reply) => {
      const now = Date.now();
      const alerts = await searchAlerts(deps.db, parseAlertFilter(req.query as Query, now), now);
      if (req.method === 'HEAD') return emptyOk(reply);
      return reply.send(alerts.length === 0 ? null : alerts.map((a) => alertWire(a, now)));
    },
  });

  app.route({
    method: ['GET', 'HEAD'],
    url: '/v1/alerts/:alert_id',
    handler: async (req, reply) => {
      const alert = await getAlert(deps.db, alertId((req.params as { alert_id: string }).alert_id));
      if (!alert) throw new NotFoundError('object not found');
      if (req.method === 'HEAD') return emptyOk(reply);
      return reply.send(alertWire(alert, Date.now()));
    },
  });

  app.delete('/v1/alerts', async (req, reply) => {
    checkTrusted(req.clientIp);
    const now = Date.now();
    const ids = await matchingAlertIds(deps.db, parseAlertFilter(req.query as Query, now), now);
    const n = await deleteAlerts(deps.db, ids, now);
    await deps.feed.catchUp();
    return reply.send({ nbDeleted: String(n) });
  });

  app.delete('/v1/alerts/:alert_id', async (req, reply) => {
    checkTrusted(req.clientIp);
    const id = alertId((req.params as { alert_id: string }).alert_id);
    // upstream answers 500 `ent: alert not found`; an unknown id is a 404
    if (!(await getAlert(deps.db, id))) throw new NotFoundError('alert not found');
    const n = await deleteAlerts(deps.db, [id]);
    await deps.feed.catchUp();
    return reply.send({ nbDeleted: String(n) });
  });
}
