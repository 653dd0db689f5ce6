import { parseAlertFilter } from '../../domain/alert-filter.js';
import { CONTAINED_FLAG, IP_FLAG, RANGE_FLAG, VALUE_MATCH_FLAG } from '../flags.js';
import { deleteAlerts, getAlert, matchingAlertIds } from '../../store/alerts.js';
import type { Db } from '../../store/db.js';
import { boolFlag, stringFlag, type FlagValues, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';

/**
 * `lapis alerts delete`: deletes the matching alerts (`--id`: that one, `--all`: every one). Their
 * active decisions are expired first, so bouncers receive them in `deleted`. Returns how many went.
 */
export async function alertsDelete(db: Db, flags: FlagValues, now = Date.now()): Promise<number> {
  const id = stringFlag(flags, 'id');
  if (id !== undefined) {
    if (!/^\d+$/.test(id)) throw new CliError(`bad alert id ${id}`);
    if (!(await getAlert(db, Number(id)))) throw new CliError(`unable to delete alert: alert not found`);
    return deleteAlerts(db, [Number(id)], now);
  }
  const q: Record<string, string> = {};
  for (const [flag, param] of [
    ['scope', 'scope'],
    ['value', 'value'],
    ['scenario', 'scenario'],
    ['ip', 'ip'],
    ['range', 'range'],
  ] as const) {
    const v = stringFlag(flags, flag);
    if (v !== undefined) q[param] = v;
  }
  if (Object.keys(q).length === 0 && !boolFlag(flags, 'all')) throw new CliError('at least one filter or --all must be specified');
  if (boolFlag(flags, 'contained')) q.contains = 'false';
  return deleteAlerts(db, await matchingAlertIds(db, parseAlertFilter(q, now), now), now);
}

export const deleteCommand: LeafCommand = {
  name: 'delete',
  aliases: ['remove'],
  summary: 'Delete alerts',
  examples: [
    'lapis alerts delete --ip 1.2.3.4',
    'lapis alerts delete --range 1.2.3.0/24',
    'lapis alerts delete -s crowdsecurity/ssh-bf',
    'lapis alerts delete --id 42',
    'lapis alerts delete --all',
  ],
  flags: {
    scope: { type: 'string', description: 'the scope (ie. ip,range)' },
    value: VALUE_MATCH_FLAG,
    scenario: { type: 'string', short: 's', description: 'the scenario (ie. crowdsecurity/ssh-bf)' },
    ip: IP_FLAG,
    range: RANGE_FLAG,
    id: { type: 'string', description: 'alert ID' },
    all: { type: 'boolean', short: 'a', description: 'delete all alerts' },
    contained: CONTAINED_FLAG,
  },
  args: { min: 0, max: 0 },
  async run(ctx, _args, flags) {
    const n = await withDb(ctx, (db) => alertsDelete(db, flags));
    ctx.out.info(`${n} alert(s) deleted`);
  },
};
