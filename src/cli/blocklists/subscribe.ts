import type { BlocklistSubscriberType } from '../../domain/blocklist.js';
import { subscribeBlocklist, type BlocklistSubscribeResult } from '../../usecases/blocklists.js';
import type { Db } from '../../store/db.js';
import { organizationId } from '../../store/instance.js';
import { listFlag, stringFlag, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { requireBlocklistByName, SUBSCRIBER_TYPE_HELP, subscriberId, subscriberType } from './common.js';

/**
 * `lapis blocklists subscribe`: serves a list to the organization (everything), machines' bouncers
 * (`engine`), bouncers or remediation-component integrations, firewall integrations (by name or id), or
 * whatever carries a tag, with a remediation (the decision type: default `ban`). Ids that cannot be
 * subscribed come back in `errors`. `org` takes no id; the other types need at least one.
 */
export async function blocklistsSubscribe(
  db: Db,
  name: string,
  type: BlocklistSubscriberType,
  ids: readonly string[],
  remediation: string | undefined,
  configuredOrg?: string,
  now = Date.now(),
): Promise<BlocklistSubscribeResult> {
  if (type === 'org' && ids.length > 0) throw new CliError("--type org takes no --id: it subscribes this instance's organization");
  if (type !== 'org' && ids.length === 0) throw new CliError(`--type ${type} needs at least one --id`);
  const list = await requireBlocklistByName(db, name);
  const wanted: string[] = [];
  for (const id of ids) wanted.push(await subscriberId(db, type, id));
  return subscribeBlocklist({ db }, list.id, type, wanted, remediation, await organizationId(db, configuredOrg), now);
}

export const subscribeCommand: LeafCommand = {
  name: 'subscribe',
  usage: 'NAME',
  summary: 'Serve a blocklist to the organization, machines, bouncers, integrations or tags',
  description: [
    'Subscribe entities to a blocklist, with a remediation (the decision type bouncers receive: default ban).',
    '  org                                 the whole instance: every bouncer and integration (no --id)',
    "  engine                              the bouncers of machines' Security Engines, by machine name (alias: machine)",
    '  remediation_component_integration   bouncers by name, or remediation-component integrations by name or id (alias: bouncer)',
    '  firewall_integration                firewall integrations, by name or id (alias: firewall)',
    '  tag                                 the bouncers, machines and integrations carrying the tag',
  ].join('\n'),
  examples: [
    'lapis blocklists subscribe scanners --type org',
    'lapis blocklists subscribe scanners --type firewall_integration --id edge-fw',
    'lapis blocklists subscribe scanners --type tag --id edge --remediation captcha',
  ],
  flags: {
    type: { type: 'string', short: 't', description: `subscriber type: ${SUBSCRIBER_TYPE_HELP} (required)` },
    id: { type: 'string', multiple: true, valueName: 'stringArray', description: 'the entity to subscribe (repeatable)' },
    remediation: { type: 'string', description: 'the decision type served', defaultText: 'ban' },
  },
  args: { min: 1, max: 1 },
  async run(ctx, [name], flags) {
    const raw = stringFlag(flags, 'type');
    if (raw === undefined) throw new CliError('required flag(s) "type" not set');
    const type = subscriberType(raw);
    const r = await withDb(ctx, (db, config) =>
      blocklistsSubscribe(db, name!, type, listFlag(flags, 'id'), stringFlag(flags, 'remediation'), config.admin.organizationId),
    );
    const refusals = r.errors.flatMap((e) => Object.entries(e).map(([id, why]) => `cannot subscribe ${id}: ${why}`));
    if (r.updated.length === 0) throw new CliError(refusals.join('; '));
    if (ctx.out.format === 'json') {
      for (const msg of refusals) ctx.out.error(msg);
      return ctx.out.json(r);
    }
    const remediation = stringFlag(flags, 'remediation') ?? 'ban';
    for (const id of r.updated) ctx.out.line(`subscribed ${id} to blocklist ${name} (remediation ${remediation})`);
    for (const msg of refusals) ctx.out.error(msg);
  },
};
