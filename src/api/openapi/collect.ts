import Fastify, { type FastifyInstance } from 'fastify';
import { type AuthGroup, type RouteDoc, shapesOnly } from '../endpoint.js';

/** One registered (method, URL) with what routes.ts put in its config: what the OpenAPI generator reads. */
export interface RouteRecord {
  method: string;
  /** Fastify's pattern: `/v1/alerts/:alert_id`. */
  url: string;
  auth: AuthGroup | undefined;
  doc: RouteDoc | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered on this app, as Fastify registered it (routes.ts collects them). */
    routeTable?: RouteRecord[];
  }
}

/**
 * Records every route registered on `app` from now on (an onRoute hook on the root reaches every plugin
 * registered after it): the table is what Fastify really routes, not what a list says it should.
 */
export function collectRoutes(app: FastifyInstance): RouteRecord[] {
  const table: RouteRecord[] = [];
  app.addHook('onRoute', (route) => {
    const config = route.config as { auth?: AuthGroup; doc?: RouteDoc } | undefined;
    for (const method of [route.method].flat()) table.push({ method, url: route.url, auth: config?.auth, doc: config?.doc });
  });
  return table;
}

/**
 * The routes `register` puts on an app, read from a bare Fastify instance that never listens: how the admin
 * listener learns the Local API's routes without the Local API's app (another listener, maybe another process).
 */
export async function routeTableOf(register: (app: FastifyInstance) => Promise<void>): Promise<RouteRecord[]> {
  const app = Fastify({ logger: false, exposeHeadRoutes: false });
  app.setValidatorCompiler(shapesOnly);
  const table = collectRoutes(app);
  try {
    await register(app);
    await app.ready();
  } finally {
    await app.close();
  }
  return table;
}
