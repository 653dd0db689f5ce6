import type { Allowlist } from '../../domain/allowlist.js';
import { subscribe } from '../../usecases/allowlists.js';
import { createAllowlist } from '../../store/allowlists.js';
import type { Db } from '../../store/db.js';
import { organizationId } from '../../store/instance.js';
import { boolFlag, stringFlag, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';

/**
 * `lapis allowlists create`: a new empty list. Unless `subscribeOrg` is false, the instance's organization
 * subscribes to it, so that it applies everywhere (a list nobody subscribes to applies nowhere).
 * Throws ConflictError `allowlist 'NAME' already exists`.
 */
export async function allowlistsCreate(
  db: Db,
  name: string,
  description: string,
  subscribeOrg: boolean,
  configuredOrg?: string,
  now = Date.now(),
): Promise<Allowlist> {
  const list = await createAllowlist(db, name, description, now);
  if (subscribeOrg) {
    const org = await organizationId(db, configuredOrg);
    await subscribe({ db }, list.id, 'org', [org], org, now);
  }
  return list;
}

export const createCommand: LeafCommand = {
  name: 'create',
  usage: 'NAME',
  summary: 'Create a new allowlist',
  description:
    "Create a new allowlist.\nBy default the instance's organization subscribes to it, so that it applies to every machine and bouncer; with --no-subscribe it applies nowhere until something subscribes to it (lapis allowlists subscribe).",
  examples: [
    "lapis allowlists create my_allowlist -d 'my allowlist description'",
    "lapis allowlists create edge_only -d 'edge bouncers only' --no-subscribe",
  ],
  flags: {
    description: { type: 'string', short: 'd', description: 'description of the allowlist (required)' },
    'no-subscribe': {
      type: 'boolean',
      description: "do not subscribe the instance's organization (the list applies nowhere until subscribed)",
    },
  },
  args: { min: 1, max: 1 },
  async run(ctx, [name], flags) {
    const description = stringFlag(flags, 'description');
    if (description === undefined) throw new CliError('required flag(s) "description" not set');
    await withDb(ctx, (db, config) =>
      allowlistsCreate(db, name!, description, !boolFlag(flags, 'no-subscribe'), config.admin.organizationId),
    );
    ctx.out.line(`allowlist '${name}' created successfully`);
  },
};
