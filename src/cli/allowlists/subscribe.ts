import type { SubscriberType } from '../../domain/allowlist.js';
import { subscribe, type SubscribeResult } from '../../usecases/allowlists.js';
import type { Db } from '../../store/db.js';
import { organizationId } from '../../store/instance.js';
import { stringFlag, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { requireListByName, subscriberType } from './common.js';

/** The ids named, or for `org` with none, this instance's organization; other types need at least one. */
export async function subscriptionIds(
  db: Db,
  type: SubscriberType,
  ids: readonly string[],
  configuredOrg: string | undefined,
): Promise<string[]> {
  if (ids.length > 0) return [...ids];
  if (type === 'org') return [await organizationId(db, configuredOrg)];
  throw new CliError(`requires at least 2 arg(s), only received 1`);
}

/**
 * `lapis allowlists subscribe`: makes a list apply to the organization (everywhere), machines (`engine`),
 * bouncers (`remediation_component_integration`) or the machines and bouncers that carry a tag. Ids that
 * cannot be subscribed come back in `errors`. When the organization subscribes, the active decisions
 * the list covers end. Throws CliError `allowlist 'NAME' not found`.
 */
export async function allowlistsSubscribe(
  db: Db,
  name: string,
  type: SubscriberType,
  ids: readonly string[],
  configuredOrg?: string,
  now = Date.now(),
): Promise<SubscribeResult> {
  const wanted = await subscriptionIds(db, type, ids, configuredOrg);
  const list = await requireListByName(db, name);
  return subscribe({ db }, list.id, type, wanted, await organizationId(db, configuredOrg), now);
}

export const TYPE_FLAG_HELP = 'subscriber type: org, engine (or machine), remediation_component_integration (or bouncer), tag';

export const subscribeCommand: LeafCommand = {
  name: 'subscribe',
  usage: 'NAME [ID...]',
  summary: 'Make an allowlist apply to the organization, machines, bouncers or tags',
  description: [
    'Subscribe entities to an allowlist: the list applies to what subscribes to it.',
    "  org                                 the whole instance (ID defaults to this instance's organization);",
    '                                      active decisions the list covers are deleted',
    '  engine                              machines, by name (alias: machine)',
    '  remediation_component_integration   bouncers, by name (alias: bouncer)',
    '  tag                                 the machines and bouncers carrying the tag (lapis machines tag, lapis bouncers tag)',
  ].join('\n'),
  examples: [
    'lapis allowlists subscribe my_allowlist -t org',
    'lapis allowlists subscribe my_allowlist web-01 -t machine',
    'lapis allowlists subscribe my_allowlist edge -t tag',
  ],
  flags: {
    type: { type: 'string', short: 't', description: `${TYPE_FLAG_HELP} (required)` },
  },
  args: { min: 1, max: Infinity },
  async run(ctx, [name, ...ids], flags) {
    const raw = stringFlag(flags, 'type');
    if (raw === undefined) throw new CliError('required flag(s) "type" not set');
    const type = subscriberType(raw);
    const r = await withDb(ctx, (db, config) => allowlistsSubscribe(db, name!, type, ids, config.admin.organizationId));
    const refusals = r.errors.flatMap((e) => Object.entries(e).map(([id, why]) => `cannot subscribe ${id}: ${why}`));
    if (r.updated.length === 0) throw new CliError(refusals.join('; '));
    for (const id of r.updated) ctx.out.line(`subscribed ${id} to allowlist ${name}`);
    for (const msg of refusals) ctx.out.error(msg);
    if (r.expired > 0) ctx.out.line(`${r.expired} decisions deleted by allowlists`);
  },
};
