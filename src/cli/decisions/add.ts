import { DurationError, parseDuration } from '../../domain/duration.js';
import { IP_FLAG, RANGE_FLAG } from '../flags.js';
import { insertAlerts } from '../../store/alerts.js';
import type { Db } from '../../store/db.js';
import { boolFlag, stringFlag, type LeafCommand } from '../args.js';
import { allowlistChecker } from '../allowlists/common.js';
import { CliError, withDb } from '../context.js';
import { manualAlert, target } from './common.js';

export interface AddOptions {
  ip?: string | undefined;
  range?: string | undefined;
  scope?: string | undefined;
  value?: string | undefined;
  duration?: string | undefined;
  type?: string | undefined;
  reason?: string | undefined;
  /** Add the decision even when an allowlist that applies somewhere covers the value. */
  bypassAllowlist?: boolean | undefined;
}

/**
 * `lapis decisions add`: stores one alert carrying one decision, as cscli does, straight into the store.
 * A running server serves it as it commits (change signals; its poll on MySQL). Returns the alert id.
 * An Ip/Range value that an allowlist with at least one subscriber covers is refused (CliError), unless `bypassAllowlist`.
 */
export async function decisionsAdd(db: Db, o: AddOptions, now = Date.now()): Promise<number> {
  const t = target(o.ip, o.range, o.scope, o.value);
  const type = o.type ?? 'ban';
  let durationMs: number;
  try {
    durationMs = parseDuration(o.duration ?? '4h');
  } catch (err) {
    if (err instanceof DurationError) throw new CliError(`invalid argument "${o.duration}" for "-d, --duration" flag: ${err.message}`);
    throw err;
  }
  if (durationMs <= 0) throw new CliError(`the duration must be positive, got '${o.duration}'`);
  if (t.range && !o.bypassAllowlist) {
    const reasons = (await allowlistChecker(db, now))(t.range);
    if (reasons.length > 0)
      throw new CliError(`${t.value} is allowlisted by item ${reasons.join(', ')}, use --bypass-allowlist to add the decision anyway`);
  }
  const reason = o.reason ?? `manual '${type}' from 'lapis'`;
  const decision = {
    type,
    scope: t.scope,
    value: t.value,
    origin: 'cscli',
    scenario: reason,
    until: Math.round(now + durationMs),
    simulated: false,
    range: t.range,
  };
  const { ids } = await insertAlerts(db, [manualAlert(reason, reason, t, [decision], now)], null, now);
  return ids[0]!;
}

export const addCommand: LeafCommand = {
  name: 'add',
  summary: 'Add decision to LAPI',
  examples: [
    'lapis decisions add --ip 1.2.3.4',
    'lapis decisions add --range 1.2.3.0/24',
    'lapis decisions add --ip 1.2.3.4 --duration 24h --type captcha',
    'lapis decisions add --scope username --value foobar',
  ],
  flags: {
    ip: IP_FLAG,
    range: RANGE_FLAG,
    duration: { type: 'string', short: 'd', description: 'Decision duration (ie. 1h,4h,30m)', defaultText: '4h' },
    value: { type: 'string', short: 'v', description: 'The value (ie. --scope username --value foobar)' },
    scope: { type: 'string', description: 'Decision scope (ie. ip,range,username)', defaultText: 'Ip' },
    reason: { type: 'string', short: 'R', description: 'Decision reason (ie. scenario-name)' },
    type: { type: 'string', short: 't', description: 'Decision type (ie. ban,captcha,throttle)', defaultText: 'ban' },
    'bypass-allowlist': { type: 'boolean', short: 'B', description: 'Add decision even if value is in allowlist' },
  },
  args: { min: 0, max: 0 },
  async run(ctx, _args, flags) {
    await withDb(ctx, (db) =>
      decisionsAdd(db, {
        ip: stringFlag(flags, 'ip'),
        range: stringFlag(flags, 'range'),
        scope: stringFlag(flags, 'scope'),
        value: stringFlag(flags, 'value'),
        duration: stringFlag(flags, 'duration'),
        type: stringFlag(flags, 'type'),
        reason: stringFlag(flags, 'reason'),
        bypassAllowlist: boolFlag(flags, 'bypass-allowlist'),
      }),
    );
    ctx.out.info('Decision successfully added');
  },
};
