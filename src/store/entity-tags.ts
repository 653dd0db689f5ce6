// Tags belong to machines and bouncers. They sit beside the allowlists because tag subscriptions reach
// their entities through them: every change bumps the allowlists version.
import type { Transaction } from 'kysely';
import type { EntityKind, EntityTag } from '../domain/allowlist.js';
import { bump, writeAllowlists } from './allowlists.js';
import type { Db } from './db.js';
import type { EntityTagRow, Tables } from './tables.js';

export function toTag(t: EntityTagRow): EntityTag {
  return { kind: t.kind as EntityKind, name: t.name, tag: t.tag };
}

export async function tagsFor(db: Db, kind: EntityKind, name: string): Promise<string[]> {
  const rows = await db.selectFrom('entity_tags').select('tag').where('kind', '=', kind).where('name', '=', name).orderBy('tag').execute();
  return rows.map((r) => r.tag);
}

export async function allTags(db: Db, kind: EntityKind): Promise<EntityTag[]> {
  const rows = await db.selectFrom('entity_tags').selectAll().where('kind', '=', kind).orderBy('name').orderBy('tag').execute();
  return rows.map(toTag);
}

/** Adds and removes tags on a machine or bouncer; returns its tags afterwards. */
export async function changeTags(db: Db, kind: EntityKind, name: string, add: string[], remove: string[]): Promise<string[]> {
  await writeAllowlists(db, async (trx) => {
    const have = new Set(await tagsFor(trx, kind, name));
    const rows = [...new Set(add)].filter((t) => !have.has(t)).map((tag) => ({ kind, name, tag }));
    if (rows.length > 0) await trx.insertInto('entity_tags').values(rows).execute();
    if (remove.length > 0)
      await trx.deleteFrom('entity_tags').where('kind', '=', kind).where('name', '=', name).where('tag', 'in', remove).execute();
  });
  return tagsFor(db, kind, name);
}

/**
 * Deletes the tags of machines or bouncers being deleted, inside the caller's transaction (the one that
 * deletes them), and bumps the allowlists version when any went: tag subscriptions change with them.
 */
export async function dropTagsIn(trx: Transaction<Tables>, kind: EntityKind, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const r = await trx
    .deleteFrom('entity_tags')
    .where('kind', '=', kind)
    .where('name', 'in', [...names])
    .executeTakeFirst();
  if (Number(r.numDeletedRows) > 0) await bump(trx);
}
