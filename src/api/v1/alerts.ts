import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isIpScope } from '../../domain/scope.js';
import { parseAlertFilter } from '../../domain/alert-filter.js';
import { ipOrRangeOrNull, parseIpOrRange, parseIp, rangeContains, type IpRange } from '../../domain/ip-range.js';
import { ForbiddenError, NotFoundError } from '../../errors.js';
import { deleteAlerts, getAlert, insertAlerts, matchingAlertIds, searchAlerts } from '../../store/alerts.js';
import type { AppDeps } from '../deps.js';
import { parsePathId } from '../path-id.js';
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

/** HEAD on the alert routes: 200, text/plain, empty (as upstream). */
function emptyOk(reply: FastifyReply) {
  return reply.code(200).type('text/plain; charset=utf-8').send('');
}

/**
 * An agent's alert (one without decisions) whose source an allowlist of this machine covers is dropped
 * before profiles see it, as upstream: not stored, not notified. Alerts that come with their decisions
 * (cscli, `--bypass-allowlist`) are kept as sent.
 */
function dropAllowlisted(req: FastifyRequest, deps: AppDeps, alerts: NewAlert[], now: number): NewAlert[] {
  const view = deps.allowlists.viewFor({ kind: 'machine', name: req.machineId }, now);
  if (!view) return alerts;
  return alerts.filter((a) => {
    if (a.decisions.length > 0 || !isIpScope(a.source.scope)) return true;
    const range = ipOrRangeOrNull(a.source.value);
    const reasons = range ? view.reasons(range, now) : [];
    if (reasons.length === 0) return true;
    req.log.info(
      { machine: req.machineId, scenario: a.scenario, value: a.source.value, allowlisted_by: reasons },
      'alert dropped: its source is allowlisted',
    );
    deps.metrics?.allowlisted.inc({ what: 'alert', machine: req.machineId });
    return false;
  });
}

/** Decisions profiles gave for an allowlisted value (a range around the source, say) are dropped too. */
function dropAllowlistedDecisions(req: FastifyRequest, deps: AppDeps, alerts: NewAlert[], now: number): void {
  const view = deps.allowlists.viewFor({ kind: 'machine', name: req.machineId }, now);
  if (!view) return;
  for (const a of alerts) {
    const kept = a.decisions.filter((d) => !(d.range && view.ranges.overlaps(d.range)));
    const dropped = a.decisions.length - kept.length;
    if (dropped === 0) continue;
    req.log.info({ machine: req.machineId, scenario: a.scenario, dropped }, 'decisions dropped: their value is allowlisted');
    deps.metrics?.allowlisted.inc({ what: 'decision', machine: req.machineId }, dropped);
    a.decisions = kept;
  }
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
    const alerts = dropAllowlisted(req, deps, parseAlerts(req.body, now), now);
    // profiles give decisions to the alerts that come without, and choose notifications
    const bare = alerts.filter((a) => a.decisions.length === 0);
    const { notify } = await deps.profiles.apply(deps.db, alerts, now);
    dropAllowlistedDecisions(req, deps, bare, now);
    const { ids, uuids } = await insertAlerts(deps.db, alerts, req.machineId, now);
    // bouncers see the new decisions as soon as the agent has its answer
    await deps.feed.catchUp();
    if (deps.notifier) {
      alerts.forEach((a, i) => {
        for (const name of notify[i] ?? [])
          deps.notifier!.enqueue(name, [alertWire(storedAlert(a, ids[i]!, uuids[i]!, req.machineId, now), now)]);
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
      const alert = await getAlert(deps.db, parsePathId((req.params as { alert_id: string }).alert_id, 'alert_id'));
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
    const id = parsePathId((req.params as { alert_id: string }).alert_id, 'alert_id');
    // upstream answers 500 `ent: alert not found`; an unknown id is a 404
    if (!(await getAlert(deps.db, id))) throw new NotFoundError('alert not found');
    const n = await deleteAlerts(deps.db, [id]);
    await deps.feed.catchUp();
    return reply.send({ nbDeleted: String(n) });
  });
}
