import type { BlocklistSubscriberType } from '../../domain/blocklist.js';
import { unsubscribeBlocklist } from '../../usecases/blocklists.js';
import type { Db } from '../../store/db.js';
import { organizationId } from '../../store/instance.js';
import { stringFlag, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { requireBlocklistByName, SUBSCRIBER_TYPE_HELP, subscriberId, subscriberType } from './common.js';

/**
 * `lapis blocklists unsubscribe`: ends one entity's subscription (of one type, or of any); integrations by
 * name or id; with `--type org` and no id, this instance's organization. The decisions it alone was served
 * as end. Returns the id unsubscribed. Throws NotFoundError when it was not subscribed.
 */
export async function blocklistsUnsubscribe(
  db: Db,
  name: string,
  ref: string | undefined,
  type?: BlocklistSubscriberType,
  configuredOrg?: string,
  now = Date.now(),
): Promise<string> {
  if (ref === undefined && type !== 'org') throw new CliError('requires an ID, or --type org');
  const list = await requireBlocklistByName(db, name);
  const id =
    ref === undefined
      ? await organizationId(db, configuredOrg)
      : type === undefined
        ? await subscriberId(db, 'firewall_integration', ref)
        : await subscriberId(db, type, ref);
  await unsubscribeBlocklist({ db }, list.id, id, type, now);
  return id;
}

export const unsubscribeCommand: LeafCommand = {
  name: 'unsubscribe',
  usage: 'NAME [ID]',
  summary: 'Stop serving a blocklist to an entity',
  description:
    "Unsubscribe an entity from a blocklist (of the given type, or of any type). With --type org and no ID, this instance's organization. The decisions served only through that subscription end.",
  examples: ['lapis blocklists unsubscribe scanners --type org', 'lapis blocklists unsubscribe scanners edge-fw'],
  flags: {
    type: { type: 'string', short: 't', description: `subscriber type: ${SUBSCRIBER_TYPE_HELP} (default: any)` },
  },
  args: { min: 1, max: 2 },
  async run(ctx, [name, ref], flags) {
    const raw = stringFlag(flags, 'type');
    const type = raw === undefined ? undefined : subscriberType(raw);
    const id = await withDb(ctx, (db, config) => blocklistsUnsubscribe(db, name!, ref, type, config.admin.organizationId));
    ctx.out.line(`unsubscribed ${id} from blocklist ${name}`);
  },
};
