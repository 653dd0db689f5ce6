import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyPluginAsync, HTTPMethods } from 'fastify';
import { adminRoutes, bouncerRoutes, eitherRoutes, machineRoutes } from './auth-hooks.js';
import type { AppDeps } from './deps.js';
import type { Endpoint } from './endpoint.js';
import { alertEndpoints } from './v1/alerts.js';
import { allowlistAdminEndpoints } from './v1/allowlists-admin.js';
import { allowlistEndpoints } from './v1/allowlists.js';
import { blocklistAdminEndpoints } from './v1/blocklists-admin.js';
import { decisionAdminEndpoints } from './v1/decisions-admin.js';
import { decisionEndpoints } from './v1/decisions.js';
import { healthEndpoint } from './v1/health.js';
import { integrationContentEndpoints } from './v1/integration-content.js';
import { integrationAdminEndpoints } from './v1/integrations-admin.js';
import { machineSelfEndpoints } from './v1/machine-self.js';
import { usageMetricsEndpoint } from './v1/usage-metrics.js';
import { watcherEndpoints } from './v1/watchers.js';

type Route = [HTTPMethods | HTTPMethods[], string, Endpoint];
const GET_HEAD: HTTPMethods[] = ['GET', 'HEAD'];

/**
 * Every URL of the Local API, with its method and the credential it takes (as crowdsec's controllers/controller.go):
 * none; `machine`, a JWT (from a password or agent-certificate login); `bouncer`, an API key or bouncer certificate;
 * `either` of the two. `extraBouncerRoutes`: tests exercise the bouncer middleware on its own with it.
 */
export async function localApiRoutes(app: FastifyInstance, d: AppDeps, extraBouncerRoutes?: FastifyPluginAsync): Promise<void> {
  const [watchers, self, alerts] = [watcherEndpoints(d), machineSelfEndpoints(d), alertEndpoints(d)];
  const [decisions, deletes, allowlists] = [decisionEndpoints(d), decisionAdminEndpoints(d), allowlistEndpoints(d)];
  await app.register(
    mount([
      ['GET', '/health', healthEndpoint],
      ['POST', '/v1/watchers', watchers.register],
      ['POST', '/v1/watchers/login', watchers.login],
      ['GET', '/v1/refresh_token', watchers.refresh],
    ]),
  );
  await app.register(eitherRoutes(d, mount([['POST', '/v1/usage-metrics', usageMetricsEndpoint(d)]])));
  const machine: Route[] = [
    ['GET', '/v1/heartbeat', self.heartbeat],
    ['DELETE', '/v1/watchers/self', self.unregister],
    ['POST', '/v1/alerts', alerts.push],
    [GET_HEAD, '/v1/alerts', alerts.search],
    [GET_HEAD, '/v1/alerts/:alert_id', alerts.get],
    ['DELETE', '/v1/alerts', alerts.deleteMatching],
    ['DELETE', '/v1/alerts/:alert_id', alerts.deleteOne],
    ['DELETE', '/v1/decisions', deletes.deleteMatching],
    ['DELETE', '/v1/decisions/:decision_id', deletes.deleteOne],
    ['GET', '/v1/allowlists', allowlists.list],
    ['GET', '/v1/allowlists/:allowlist_name', allowlists.get],
    [GET_HEAD, '/v1/allowlists/check/:ip_or_range', allowlists.check],
    ['POST', '/v1/allowlists/check', allowlists.checkMany],
  ];
  await app.register(machineRoutes(d, mount(machine)));
  const bouncer: Route[] = [
    [GET_HEAD, '/v1/decisions', decisions.query],
    [GET_HEAD, '/v1/decisions/stream', decisions.stream],
  ];
  await app.register(bouncerRoutes(d, mount(bouncer, extraBouncerRoutes)));
  await app.register(mount(integrationRoutes(d)));
}

/** What integrations read with their own credentials (Basic, or an API key): on both listeners. */
function integrationRoutes(d: AppDeps): Route[] {
  const content = integrationContentEndpoints(d);
  return [
    [GET_HEAD, '/v1/integrations/:id/content', content.content],
    [GET_HEAD, '/v1/integrations/:id/v1/decisions/stream', content.stream],
  ];
}

/** Every URL of the admin API (its own listener): all behind an admin key. */
export async function adminApiRoutes(app: FastifyInstance, d: AppDeps): Promise<void> {
  const [lists, blocklists, integrations] = await Promise.all([
    allowlistAdminEndpoints(d),
    blocklistAdminEndpoints(d),
    integrationAdminEndpoints(d),
  ]);
  const admin: Route[] = [
    ['POST', '/v1/allowlists', lists.create],
    ['GET', '/v1/allowlists', lists.list],
    ['GET', '/v1/allowlists/:id', lists.get],
    ['PATCH', '/v1/allowlists/:id', lists.update],
    ['DELETE', '/v1/allowlists/:id', lists.delete],
    ['POST', '/v1/allowlists/:id/items', lists.addItems],
    ['GET', '/v1/allowlists/:id/items', lists.items],
    ['GET', '/v1/allowlists/:id/items/:item_id', lists.item],
    ['PATCH', '/v1/allowlists/:id/items/:item_id', lists.updateItem],
    ['DELETE', '/v1/allowlists/:id/items/:item_id', lists.deleteItem],
    ['GET', '/v1/allowlists/:id/subscribers', lists.subscribers],
    ['POST', '/v1/allowlists/:id/subscribers', lists.subscribe],
    ['DELETE', '/v1/allowlists/:id/subscribers/:entity_id', lists.unsubscribe],
    ['POST', '/v1/blocklists', blocklists.create],
    ['GET', '/v1/blocklists', blocklists.list],
    ['GET', '/v1/blocklists/:id', blocklists.get],
    ['PATCH', '/v1/blocklists/:id', blocklists.update],
    ['DELETE', '/v1/blocklists/:id', blocklists.delete],
    ['POST', '/v1/blocklists/:id/ips', blocklists.addIps],
    ['POST', '/v1/blocklists/:id/ips/bulk_overwrite', blocklists.overwrite],
    ['POST', '/v1/blocklists/:id/ips/delete', blocklists.deleteIps],
    ['POST', '/v1/blocklists/:id/upload', blocklists.upload],
    ['GET', '/v1/blocklists/:id/subscribers', blocklists.subscribers],
    ['POST', '/v1/blocklists/:id/subscribers', blocklists.subscribe],
    ['DELETE', '/v1/blocklists/:id/subscribers/:entity_id', blocklists.unsubscribe],
    ['POST', '/v1/integrations', integrations.create],
    ['GET', '/v1/integrations', integrations.list],
    ['GET', '/v1/integrations/:id', integrations.get],
    ['PATCH', '/v1/integrations/:id', integrations.update],
    ['DELETE', '/v1/integrations/:id', integrations.delete],
  ];
  admin.push([GET_HEAD, '/v1/blocklists/:id/download', integrationContentEndpoints(d).download]);
  await app.register(adminRoutes(d, mount(admin)));
  await app.register(mount(integrationRoutes(d)));
}

/** One group's routes, as a plugin its auth hook wraps. */
function mount(routes: Route[], extra?: FastifyPluginAsync): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<TypeBoxTypeProvider>();
    for (const [method, url, e] of routes) typed.route({ method, url, ...e });
    if (extra) await app.register(extra);
  };
}
