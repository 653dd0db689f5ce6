import { deleteBouncersById, deleteBouncerWithChildren, getBouncer, listBouncers } from '../../store/bouncers.js';
import type { Db } from '../../store/db.js';
import { boolFlag, type LeafCommand } from '../args.js';
import { CliError, withDb, type Ctx } from '../context.js';

export type BouncerDeleteEvent =
  | { kind: 'deleted'; name: string }
  /** An auto-created `name@ip` bouncer is not deleted: its parent must be. */
  | { kind: 'auto-created'; name: string; parent: string }
  | { kind: 'orphan'; name: string };

/**
 * Deletes bouncers as cscli does: a parent takes its auto-created `parent@…` children with it, an
 * auto-created one is refused (not an error), and a missing one is fatal unless `ignoreMissing`.
 * `report` gets each event as it happens (so that what was done before a failure is still logged).
 * A deleted bouncer's tags go with it.
 */
export async function bouncersDelete(
  db: Db,
  names: readonly string[],
  ignoreMissing: boolean,
  report: (e: BouncerDeleteEvent) => void = () => {},
): Promise<BouncerDeleteEvent[]> {
  const events: BouncerDeleteEvent[] = [];
  const emit = (e: BouncerDeleteEvent) => {
    events.push(e);
    report(e);
  };
  const all = await listBouncers(db);
  for (const name of names) {
    const b = await getBouncer(db, name);
    if (!b) {
      if (ignoreMissing) continue;
      throw new CliError(`unable to delete bouncer ${name}: ent: bouncer not found`);
    }
    if (b.authType === 'tls') {
      await deleteBouncersById(db, [b.id]);
      emit({ kind: 'deleted', name });
      continue;
    }
    if (b.autoCreated) {
      // as upstream's findParentBouncer: the first non-auto-created bouncer whose name starts with the base name
      const base = name.split('@')[0]!;
      const parent = all.find((p) => p.name.startsWith(base) && !p.autoCreated);
      emit(parent ? { kind: 'auto-created', name, parent: parent.name } : { kind: 'orphan', name });
      continue;
    }
    const children = all.filter((c) => c.autoCreated && c.name.startsWith(`${name}@`)).map((c) => c.name);
    await deleteBouncerWithChildren(db, name);
    for (const child of children) emit({ kind: 'deleted', name: child });
    emit({ kind: 'deleted', name });
  }
  return events;
}

function log(ctx: Ctx, e: BouncerDeleteEvent): void {
  switch (e.kind) {
    case 'deleted':
      return ctx.out.info(`bouncer '${e.name}' deleted successfully`);
    case 'auto-created':
      return ctx.out.warn(`bouncer '${e.name}' is auto-created and cannot be deleted, delete parent bouncer ${e.parent} instead`);
    case 'orphan':
      return ctx.out.error(`bouncer '${e.name}' is auto-created, but couldn't find a parent bouncer`);
  }
}

export const deleteCommand: LeafCommand = {
  name: 'delete',
  aliases: ['remove'],
  usage: 'NAME...',
  summary: 'delete bouncer(s) from the database',
  examples: ['lapis bouncers delete "bouncer1" "bouncer2"'],
  flags: {
    'ignore-missing': { type: 'boolean', description: "don't print errors if one or more bouncers don't exist" },
  },
  args: { min: 1, max: Infinity },
  async run(ctx, names, flags) {
    await withDb(ctx, (db) => bouncersDelete(db, names, boolFlag(flags, 'ignore-missing'), (e) => log(ctx, e)));
  },
};
