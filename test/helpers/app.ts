import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { cloneSqlite, freshDbConfig } from './dialect.js';
import { buildAdminApp, buildApp } from '../../src/app.js';
import type { JwtService } from '../../src/auth/jwt.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { DecisionFeed } from '../../src/engine/decision-feed.js';
import type { AllowlistCache } from '../../src/engine/allowlists.js';
import { openRuntime } from '../../src/runtime.js';
import type { Db } from '../../src/store/db.js';
import type { After } from './context.js';

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  config: Config;
  dir: string;
  jwt: JwtService;
  feed: DecisionFeed;
  /** The admin API (allowlists), on the same runtime. */
  admin: FastifyInstance;
  allowlists: AllowlistCache;
}

/** A fresh temp dir, removed when the test ends. */
export function tempDir(t: After, prefix = 'lapis-test-'): string {
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

/**
 * Adds a fresh, migrated database of the run's engine to a config text (see helpers/dialect.ts), and puts the
 * admin listener on a free port unless the text says where: tests run side by side. On SQLite the text keeps the
 * default file, `lapis.db` in the data dir: the text's `config_paths.data_dir`, else `dataDir`, gets a clone
 * (without either, the runtime migrates an empty file). `migrated: false` leaves the database empty (migration tests).
 */
export function withTestDb(yaml = '', dataDir?: string, migrated = true): string {
  const db = freshDbConfig(undefined, migrated);
  const doc = (parseYaml(yaml) ?? {}) as {
    db_config?: Record<string, unknown>;
    api?: { admin?: Record<string, unknown> };
    config_paths?: { data_dir?: string };
  };
  if (db) doc.db_config = { ...(doc.db_config ?? {}), ...db };
  else if (migrated && doc.db_config?.db_path === undefined) {
    const dir = doc.config_paths?.data_dir ?? dataDir;
    if (dir !== undefined) cloneSqlite(join(dir, 'lapis.db'));
  }
  doc.api = { ...(doc.api ?? {}), admin: { listen_uri: '127.0.0.1:0', ...(doc.api?.admin ?? {}) } };
  return stringifyYaml(doc);
}

/** testConfig on a fresh database of the run's engine. */
export function testDbConfig(dir: string, yaml = '', env: NodeJS.ProcessEnv = {}): Config {
  return testConfig(dir, withTestDb(yaml, env.LAPIS_DATA_DIR ?? join(dir, 'data')), env);
}

/** A real app on a real SQLite file in a temp dir, closed when the test ends. */
export async function buildTestApp(
  t: After,
  opts: { yaml?: string; env?: NodeJS.ProcessEnv; extraBouncerRoutes?: FastifyPluginAsync; logger?: Logger } = {},
): Promise<TestApp> {
  const dir = tempDir(t);
  const config = testDbConfig(dir, opts.yaml, opts.env);
  const runtime = await openRuntime(config);
  const app = await buildApp(runtime.deps, { extraBouncerRoutes: opts.extraBouncerRoutes, logger: opts.logger });
  const admin = await buildAdminApp(runtime.deps, { logger: opts.logger });
  await app.ready();
  await admin.ready();
  t.after(async () => {
    await admin.close();
    await app.close();
    await runtime.close();
  });
  const { db, jwt, feed, allowlists } = runtime.deps;
  return { app, db, config, dir, jwt, feed, admin, allowlists };
}
