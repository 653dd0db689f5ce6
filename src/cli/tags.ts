import type { EntityKind } from '../domain/allowlist.js';
import { changeTags, tagsFor } from '../store/entity-tags.js';
import { getBouncer } from '../store/bouncers.js';
import type { Db } from '../store/db.js';
import { getMachine } from '../store/machines.js';
import { boolFlag, type LeafCommand } from './args.js';
import { CliError, withDb } from './context.js';
import type { Printer } from './output.js';

/**
 * Adds (or with `remove`, removes) tags on a machine or bouncer and returns its tags afterwards; with no
 * tags given, only reads them. Allowlists subscribed with `-t tag` apply to what carries the tag.
 * Throws CliError `machine 'X' not found` / `bouncer 'X' not found`, or for an empty tag.
 */
export async function entityTag(db: Db, kind: EntityKind, name: string, tags: readonly string[], remove: boolean): Promise<string[]> {
  if (tags.some((t) => t.trim() === '')) throw new CliError('a tag cannot be empty');
  if (remove && tags.length === 0) throw new CliError('--remove needs at least one tag');
  const exists = kind === 'machine' ? await getMachine(db, name) : await getBouncer(db, name);
  if (!exists) throw new CliError(`${kind} '${name}' not found`);
  if (tags.length === 0) return tagsFor(db, kind, name);
  return remove ? changeTags(db, kind, name, [], [...tags]) : changeTags(db, kind, name, [...tags], []);
}

export function printTags(out: Printer, name: string, tags: readonly string[]): void {
  if (out.format === 'json') return out.json(tags);
  out.line(tags.length === 0 ? `${name} has no tags` : `tags of ${name}: ${tags.join(', ')}`);
}

/** The `tag` verb of `lapis machines` and `lapis bouncers`. */
export function entityTagCommand(kind: EntityKind, plural: string): LeafCommand {
  return {
    name: 'tag',
    usage: 'NAME [TAG...]',
    summary: `add, remove or show the tags of a ${kind}`,
    description: `Add tags to a ${kind} (or remove them with --remove); with no TAG, show its tags.\nAllowlists subscribed with 'lapis allowlists subscribe LIST TAG -t tag' apply to the ${plural} carrying the tag.`,
    examples: [`lapis ${plural} tag NAME edge eu-west`, `lapis ${plural} tag NAME edge --remove`, `lapis ${plural} tag NAME`],
    flags: {
      remove: { type: 'boolean', description: 'remove the tags instead of adding them' },
    },
    args: { min: 1, max: Infinity },
    async run(ctx, [name, ...tags], flags) {
      printTags(ctx.out, name!, await withDb(ctx, (db) => entityTag(db, kind, name!, tags, boolFlag(flags, 'remove'))));
    },
  };
}
