import { existsSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { sql } from 'kysely';
import { boolFlag, type LeafCommand } from './args.js';
import { CliError, withDb } from './context.js';

/**
 * `lapis backup FILE`: a consistent copy of a SQLite store while the server runs (`VACUUM INTO`: one read
 * transaction, so the copy is the store as of one commit, compacted, and a database file of its own; the WAL's
 * committed pages are in it). PostgreSQL and MySQL have their own tools, which the error names.
 */
export async function backupStore(
  ctx: Parameters<LeafCommand['run']>[0],
  file: string,
  force: boolean,
): Promise<{ file: string; bytes: number; seconds: number }> {
  const config = ctx.config();
  const target = resolve(file);
  switch (config.db.type) {
    case 'sqlite':
      break;
    case 'mysql':
      throw new CliError(
        `lapis backup copies SQLite stores: for MySQL/MariaDB use mariadb-dump (or mysqldump) ${config.db.db_name ?? 'DBNAME'} > ${file}`,
      );
    default:
      throw new CliError(`lapis backup copies SQLite stores: for PostgreSQL use pg_dump -Fc ${config.db.db_name ?? 'DBNAME'} -f ${file}`);
  }
  if (target === resolve(config.db.db_path)) throw new CliError(`${file} is the database itself`);
  if (existsSync(target)) {
    if (!force) throw new CliError(`${file} already exists: remove it, or use --force to replace it`);
    rmSync(target);
  }
  const t0 = performance.now();
  await withDb(ctx, (db) => sql`VACUUM INTO ${target}`.execute(db));
  return { file: target, bytes: statSync(target).size, seconds: (performance.now() - t0) / 1000 };
}

export const backupCommand: LeafCommand = {
  name: 'backup',
  usage: 'FILE',
  summary: 'Copy the SQLite database while the server runs',
  description:
    'Write a consistent copy of the SQLite database to FILE, while the server runs (the copy is the database as of one commit, compacted). For PostgreSQL use pg_dump, for MySQL/MariaDB mariadb-dump.',
  examples: ['lapis backup /var/backups/lapis-$(date +%F).db'],
  flags: { force: { type: 'boolean', description: 'replace FILE if it exists' } },
  args: { min: 1, max: 1 },
  async run(ctx, [file], flags) {
    const r = await backupStore(ctx, file!, boolFlag(flags, 'force'));
    if (ctx.out.format === 'json') return ctx.out.json(r);
    if (ctx.out.format === 'raw') return ctx.out.out(`${r.file}\n`);
    ctx.out.line(`Backed up the database to ${r.file} (${(r.bytes / 2 ** 20).toFixed(1)} MiB) in ${r.seconds.toFixed(1)} s`);
  },
};
