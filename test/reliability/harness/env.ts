import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { createAdminKey } from '../../../src/store/admin-keys.js';
import { hashApiKey } from '../../../src/auth/api-key.js';
import { hashPassword } from '../../../src/auth/password.js';
import { loadConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { createBouncer } from '../../../src/store/bouncers.js';
import { usingDb } from '../../../src/store/db.js';
import { createMachine } from '../../../src/store/machines.js';
import { openSqlite } from '../../../src/store/sqlite-driver.js';
import { tempDir } from '../../helpers/app.js';
import { freshDbConfig, type TestDialect } from '../../helpers/dialect.js';
// the Prometheus listener logs no address, so it cannot be `:0`
export { freePort } from '../../helpers/ports.js';

type After = { after(fn: () => unknown): void };

/** A config file for a `lapis serve` child, on a fresh database of `engine`, in a temp dir. */
export interface ServerEnv {
  engine: TestDialect;
  dir: string;
  configPath: string;
  config: Config;
  /** The SQLite file, for integrity checks while no server runs. */
  sqlitePath: string | undefined;
}

/**
 * Writes the config: API and admin listeners on free ports, the data dir (and with it the JWT secret, so tokens
 * survive a restart) inside the temp dir, info logs; `extra` is merged at the top level (`prometheus: …`).
 */
export function serverEnv(t: After, engine: TestDialect, extra: Record<string, unknown> = {}): ServerEnv {
  const dir = tempDir(t, 'lapis-rel-');
  const sqlitePath = engine === 'sqlite' ? join(dir, 'lapis.db') : undefined;
  const doc = {
    common: { log_level: 'info' },
    api: { server: { listen_uri: '127.0.0.1:0' }, admin: { listen_uri: '127.0.0.1:0' } },
    config_paths: { data_dir: join(dir, 'data') },
    db_config: sqlitePath ? { type: 'sqlite', db_path: sqlitePath } : freshDbConfig(engine),
    ...extra,
  };
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, stringifyYaml(doc));
  return { engine, dir, configPath, config: loadConfig({ path: configPath, env: {} }), sqlitePath };
}

export interface Identities {
  /** machine id → password */
  machines: Map<string, string>;
  /** bouncer name → API key */
  bouncers: Map<string, string>;
  /** admin key name → key */
  adminKeys: Map<string, string>;
}

/** Creates validated machines, bouncers and admin keys straight in the store (as `lapis … add` does), before the server starts. */
export async function provision(
  config: Config,
  names: { machines?: string[]; bouncers?: string[]; adminKeys?: string[] },
): Promise<Identities> {
  const out: Identities = { machines: new Map(), bouncers: new Map(), adminKeys: new Map() };
  await usingDb(config.db, async (db) => {
    for (const m of names.machines ?? []) {
      const password = `pw-${m}-${Math.random().toString(36).slice(2)}`;
      await createMachine(db, { machineId: m, passwordHash: await hashPassword(password), isValidated: true });
      out.machines.set(m, password);
    }
    for (const b of names.bouncers ?? []) {
      const key = `key-${b}-${Math.random().toString(36).slice(2)}`;
      await createBouncer(db, { name: b, keyHash: hashApiKey(key) });
      out.bouncers.set(b, key);
    }
    for (const a of names.adminKeys ?? []) {
      const key = `admin-${a}-${Math.random().toString(36).slice(2)}`;
      await createAdminKey(db, a, hashApiKey(key));
      out.adminKeys.set(a, key);
    }
  });
  return out;
}

/** `PRAGMA integrity_check` and `foreign_key_check` on a SQLite file no process writes to: [] when clean. */
export function sqliteProblems(path: string): string[] {
  const db = openSqlite(path);
  try {
    const rows = (sql: string) => db.prepare(sql).all([]) as Record<string, unknown>[];
    const integrity = rows('PRAGMA integrity_check').map((r) => String(Object.values(r)[0]));
    const problems = integrity.length === 1 && integrity[0] === 'ok' ? [] : integrity;
    for (const r of rows('PRAGMA foreign_key_check')) problems.push(`foreign key: ${JSON.stringify(r)}`);
    return problems;
  } finally {
    db.close();
  }
}
