import type { SubscriberType } from '../../domain/allowlist.js';
import { listSubscribers, removeSubscriber } from '../../store/allowlist-subscribers.js';
import type { Db } from '../../store/db.js';
import { stringFlag, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { requireListByName, subscriberType } from './common.js';
import { subscriptionIds, TYPE_FLAG_HELP } from './subscribe.js';

/**
 * `lapis allowlists unsubscribe`: ends subscriptions (of one type, or of any type). Every id is checked
 * first: one that is not subscribed is CliError `X is not subscribed to allowlist NAME`, and nothing changes.
 * Decisions the list ended stay ended. Returns the ids unsubscribed.
 */
export async function allowlistsUnsubscribe(
  db: Db,
  name: string,
  ids: readonly string[],
  type?: SubscriberType,
  configuredOrg?: string,
): Promise<string[]> {
  const wanted = type ? await subscriptionIds(db, type, ids, configuredOrg) : [...ids];
  if (wanted.length === 0) throw new CliError('requires at least 2 arg(s), only received 1');
  const list = await requireListByName(db, name);
  const subs = await listSubscribers(db, list.id);
  const missing = wanted.find((id) => !subs.some((s) => s.entityId === id && (!type || s.entityType === type)));
  if (missing !== undefined) throw new CliError(`${missing} is not subscribed to allowlist ${name}`);
  const unique = [...new Set(wanted)];
  for (const id of unique) await removeSubscriber(db, list.id, id, type);
  return unique;
}

export const unsubscribeCommand: LeafCommand = {
  name: 'unsubscribe',
  usage: 'NAME [ID...]',
  summary: 'Stop an allowlist applying to the organization, machines, bouncers or tags',
  description:
    "Unsubscribe entities from an allowlist. With -t org and no ID, this instance's organization. Decisions already deleted by the list are not restored.",
  examples: ['lapis allowlists unsubscribe my_allowlist -t org', 'lapis allowlists unsubscribe my_allowlist web-01'],
  flags: {
    type: { type: 'string', short: 't', description: `${TYPE_FLAG_HELP} (default: any)` },
  },
  args: { min: 1, max: Infinity },
  async run(ctx, [name, ...ids], flags) {
    const raw = stringFlag(flags, 'type');
    const type = raw === undefined ? undefined : subscriberType(raw);
    const done = await withDb(ctx, (db, config) => allowlistsUnsubscribe(db, name!, ids, type, config.admin.organizationId));
    for (const id of done) ctx.out.line(`unsubscribed ${id} from allowlist ${name}`);
  },
};
