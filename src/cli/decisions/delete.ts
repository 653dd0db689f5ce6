import type { DecisionDeleteFilter } from '../../domain/decision-filter.js';
import { CONTAINED_FLAG, IP_FLAG, RANGE_FLAG, VALUE_MATCH_FLAG } from '../flags.js';
import { normalizeScope } from '../../domain/scope.js';
import type { Db } from '../../store/db.js';
import { activeDecisionIds, decisionExists, expireDecisionIds } from '../../store/decisions.js';
import { boolFlag, stringFlag, type FlagValues, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { target } from './common.js';

/**
 * `lapis decisions delete`: expires the matching active decisions (`--id`: that one), so bouncers
 * receive them in `deleted`. Returns how many were expired.
 */
export async function decisionsDelete(db: Db, flags: FlagValues, now = Date.now()): Promise<number> {
  const id = stringFlag(flags, 'id');
  if (id !== undefined) {
    if (!/^\d+$/.test(id)) throw new CliError(`invalid decision id '${id}': must be an integer`);
    if (!(await decisionExists(db, Number(id)))) throw new CliError(`decision with id '${id}' doesn't exist`);
    return expireDecisionIds(db, [Number(id)], now, false);
  }
  const f: DecisionDeleteFilter = { contains: !boolFlag(flags, 'contained') };
  const ip = stringFlag(flags, 'ip');
  const range = stringFlag(flags, 'range');
  if (ip !== undefined || range !== undefined) f.range = target(ip, range, undefined, undefined).range!;
  const value = stringFlag(flags, 'value');
  const scope = stringFlag(flags, 'scope');
  if (value !== undefined) f.value = value;
  if (scope !== undefined) f.scope = normalizeScope(scope);
  const type = stringFlag(flags, 'type');
  if (type !== undefined) f.type = type;
  const scenario = stringFlag(flags, 'scenario');
  if (scenario !== undefined) f.scenario = scenario;
  const origin = stringFlag(flags, 'origin');
  if (origin !== undefined) f.origin = origin;
  const filtered = Object.keys(f).length > 1;
  if (!filtered && !boolFlag(flags, 'all')) throw new CliError('at least one filter or --all must be specified');
  return expireDecisionIds(db, await activeDecisionIds(db, f, now), now, true);
}

export const deleteCommand: LeafCommand = {
  name: 'delete',
  aliases: ['remove'],
  summary: 'Delete decisions',
  examples: [
    'lapis decisions delete -r 1.2.3.0/24',
    'lapis decisions delete -i 1.2.3.4',
    'lapis decisions delete --id 42',
    'lapis decisions delete --type captcha',
    'lapis decisions delete --all',
  ],
  flags: {
    ip: IP_FLAG,
    range: RANGE_FLAG,
    type: { type: 'string', short: 't', description: 'the decision type (ie. ban,captcha)' },
    value: VALUE_MATCH_FLAG,
    scope: { type: 'string', description: 'the scope to match (with --value)' },
    scenario: { type: 'string', short: 's', description: 'the scenario name (ie. crowdsecurity/ssh-bf)' },
    origin: { type: 'string', description: 'the value to match for the specified origin (ie. cscli, crowdsec, CAPI, lists)' },
    id: { type: 'string', description: 'decision id' },
    all: { type: 'boolean', description: 'delete all decisions' },
    contained: CONTAINED_FLAG,
  },
  args: { min: 0, max: 0 },
  async run(ctx, _args, flags) {
    const n = await withDb(ctx, (db) => decisionsDelete(db, flags));
    ctx.out.info(`${n} decision(s) deleted`);
  },
};
