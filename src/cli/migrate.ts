import type { DbConfig } from '../config/schema.js';
import { openKysely } from '../store/dialect.js';
import { migrateToLatest } from '../store/migrate.js';
import type { LeafCommand } from './args.js';

/** Applies pending migrations; returns the names of those that ran (empty when the schema was up to date). */
export async function migrate(db: DbConfig): Promise<string[]> {
  // not usingDb(): it would migrate on open, and we want to report what ran
  const k = await openKysely(db);
  try {
    return await migrateToLatest(k);
  } finally {
    await k.destroy();
  }
}

export const migrateCommand: LeafCommand = {
  name: 'migrate',
  summary: 'Apply pending database migrations',
  description: 'Apply pending database migrations and print which ran (every other command also migrates before it starts).',
  args: { min: 0, max: 0 },
  async run(ctx) {
    const config = ctx.config();
    const applied = await migrate(config.db);
    switch (ctx.out.format) {
      case 'json':
        return ctx.out.json({ applied });
      case 'raw':
        return ctx.out.out(applied.map((m) => `${m}\n`).join(''));
      case 'human':
        if (applied.length === 0) return ctx.out.line('The database schema is up to date.');
        for (const m of applied) ctx.out.line(`Applied migration ${m}`);
    }
  },
};
