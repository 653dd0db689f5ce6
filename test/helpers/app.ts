import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { buildApp } from '../../src/app.js';
import { JwtService, loadJwtSecret } from '../../src/auth/jwt.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { openDb, type Db } from '../../src/store/db.js';

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  config: Config;
  dir: string;
  jwt: JwtService;
}

/** A fresh temp dir, removed when the test ends. */
export function tempDir(t: TestContext | { after(fn: () => unknown): void }, prefix = 'lapis-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `yaml` as the config file in `dir` and loads it, with the data dir inside `dir`. */
export function testConfig(dir: string, yaml = '', env: NodeJS.ProcessEnv = {}): Config {
  const path = join(dir, 'config.yaml');
  writeFileSync(path, yaml);
  return loadConfig({ path, env: { LAPIS_DATA_DIR: join(dir, 'data'), ...env } });
}

/** A real app on a real SQLite file in a temp dir, closed when the test ends. */
export async function buildTestApp(
  t: TestContext | { after(fn: () => unknown): void },
  opts: { yaml?: string; env?: NodeJS.ProcessEnv; extraBouncerRoutes?: FastifyPluginAsync } = {},
): Promise<TestApp> {
  const dir = tempDir(t);
  const config = testConfig(dir, opts.yaml, opts.env);
  const db = await openDb(config.db);
  const jwt = new JwtService(loadJwtSecret(config.jwtSecret, config.dataDir));
  const app = await buildApp({ config, db, jwt }, { extraBouncerRoutes: opts.extraBouncerRoutes });
  await app.ready();
  t.after(async () => {
    await app.close();
    await db.destroy();
  });
  return { app, db, config, dir, jwt };
}
