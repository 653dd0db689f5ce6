import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import * as m0001 from './migrations/20261123-0001-machines-bouncers.js';
import * as m0002 from './migrations/20261123-0002-alerts-decisions.js';
import * as m0003 from './migrations/20261123-0003-leases.js';
import * as m0004 from './migrations/20261123-0004-usage-metrics.js';
import * as m0005 from './migrations/20261201-0005-allowlists.js';
import * as m0006 from './migrations/20261205-0006-blocklists.js';

/** Every migration, in order. Names are timestamped; a merged migration is never edited. */
const MIGRATIONS: Record<string, Migration> = {
  '20261123-0001-machines-bouncers': m0001,
  '20261123-0002-alerts-decisions': m0002,
  '20261123-0003-leases': m0003,
  '20261123-0004-usage-metrics': m0004,
  '20261201-0005-allowlists': m0005,
  '20261205-0006-blocklists': m0006,
};

// biome-ignore lint/suspicious/noExplicitAny: the migrator runs before the typed tables exist
function migrator(db: Kysely<any>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'lapis_migrations',
    migrationLockTableName: 'lapis_migrations_lock',
  });
}

/** The code's migrations, split into those `db` has applied and those pending. Applies nothing, creates no table. */
// biome-ignore lint/suspicious/noExplicitAny: read before the typed tables may exist
export async function migrationState(db: Kysely<any>): Promise<{ applied: string[]; pending: string[] }> {
  const all = await migrator(db).getMigrations();
  return { applied: all.filter((m) => m.executedAt).map((m) => m.name), pending: all.filter((m) => !m.executedAt).map((m) => m.name) };
}

/**
 * Brings the schema up to date. Never throws for "nothing to do"; throws with the failing
 * migration's name when one fails.
 */
// biome-ignore lint/suspicious/noExplicitAny: the migrator runs before the typed tables exist
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const result: MigrationResultSet = await migrator(db).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(result.error as Error).message ?? String(result.error)}`);
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
