import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * gin's fallbacks, which clients see: an unknown path is 404 with an empty body, a known path with the
 * wrong method is 405 with an `Allow` header, and `/v1/decisions/` redirects to `/v1/decisions`.
 */
export function installFallbacks(app: FastifyInstance): void {
  const routes: { pattern: RegExp; methods: Set<string> }[] = [];
  app.addHook('onRoute', (route) => {
    const source = `^${route.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]+/g, '[^/]+')}$`;
    let entry = routes.find((r) => r.pattern.source === source);
    if (!entry) routes.push((entry = { pattern: new RegExp(source), methods: new Set() }));
    for (const m of [route.method].flat()) entry.methods.add(m);
  });

  const allowed = (path: string): string[] =>
    [...new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => [...r.methods]))].sort();

  /** gin's RedirectTrailingSlash, or its 404. */
  const redirectOr404 = (req: FastifyRequest, reply: FastifyReply, path: string) => {
    const trimmed = path.replace(/\/+$/, '');
    if (trimmed !== path && trimmed !== '' && allowed(trimmed).includes(req.method)) {
      const query = req.url.slice(path.length);
      return reply
        .code(req.method === 'GET' ? 301 : 307)
        .header('location', trimmed + query)
        .send();
    }
    return reply.code(404).send();
  };

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const methods = allowed(path);
    if (methods.length > 0) return reply.code(405).header('allow', methods.join(', ')).send();
    return redirectOr404(req, reply, path);
  });

  // find-my-way matches `/v1/alerts/` to `/v1/alerts/:alert_id` with an empty id, where gin's tree has no
  // match and redirects: answered here, before any authentication, as gin does
  app.addHook('onRequest', (req, reply, done) => {
    const q = req.url.indexOf('?');
    if (req.url.charCodeAt((q < 0 ? req.url.length : q) - 1) !== 47) return done();
    const path = q < 0 ? req.url : req.url.slice(0, q);
    if (!Object.values((req.params ?? {}) as Record<string, unknown>).includes('')) return done();
    void redirectOr404(req, reply, path);
  });
}
