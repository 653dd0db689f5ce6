import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApiText } from '../api/openapi/endpoint.js';
import { buildAdminApp, buildApp } from '../app.js';
import { loadConfig } from '../config/load.js';
import { openRuntime } from '../runtime.js';
import { boolFlag, type LeafCommand } from './args.js';

/**
 * The OpenAPI document of the Local API (or of the admin API), from the routes the real apps register. The apps
 * are built on a throwaway runtime (an empty SQLite file in a temp dir, removed after; nothing listens): the
 * user's configuration and database are never read, and the routes do not depend on them.
 */
export async function openApiDocumentText(admin: boolean): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'lapis-openapi-'));
  try {
    const path = join(dir, 'config.yaml');
    writeFileSync(path, '');
    const config = loadConfig({ path, env: { LAPIS_DATA_DIR: join(dir, 'data') } });
    const runtime = await openRuntime(config, undefined, { feeds: false, changeSignals: false });
    try {
      const app = admin ? await buildAdminApp(runtime.deps) : await buildApp(runtime.deps);
      try {
        await app.ready();
        return openApiText(admin ? 'admin' : 'lapi', app.routeTable ?? []);
      } finally {
        await app.close();
      }
    } finally {
      await runtime.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const openApiCommand: LeafCommand = {
  name: 'openapi',
  summary: 'Print the OpenAPI 3.1 document of the Local API',
  description:
    'Print the OpenAPI 3.1 document of the Local API (with --admin, of the admin API) as JSON, generated from the routes Lapis registers. The same documents are served on the admin listener at /openapi.json and /openapi.json?api=admin.',
  examples: ['lapis openapi > lapi.json', 'lapis openapi --admin'],
  flags: { admin: { type: 'boolean', description: "the admin API's document" } },
  args: { min: 0, max: 0 },
  async run(ctx, _args, flags) {
    ctx.out.out(await openApiDocumentText(boolFlag(flags, 'admin')));
  },
};
