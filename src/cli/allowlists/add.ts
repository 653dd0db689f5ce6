import { parseItemValue } from '../../domain/allowlist.js';
import { IpParseError } from '../../domain/ip-range.js';
import { addItemsAndApply } from '../../usecases/allowlists.js';
import type { Db } from '../../store/db.js';
import { durationFlag, stringFlag, type FlagValues, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { CLI_ACTOR, requireListByName } from './common.js';

export interface AllowlistsAddOptions {
  /** How long the items last; null or 0: they never expire. */
  expirationMs?: number | null;
  comment?: string;
}

export interface AllowlistsAddResult {
  /** The IpParseError messages of the values refused (`invalid ip address 'bar'`), in order. */
  invalid: string[];
  added: number;
  /** Values the list already holds (live), not added again. */
  skipped: string[];
  /** Active decisions ended because the list applies everywhere (an `org` subscription). */
  expired: number;
}

/**
 * `lapis allowlists add`: adds the valid values (invalid ones are reported, not fatal, as cscli), then
 * ends the active decisions they cover when the list applies everywhere. Throws CliError `allowlist 'NAME' not found`.
 */
export async function allowlistsAdd(
  db: Db,
  name: string,
  values: readonly string[],
  o: AllowlistsAddOptions = {},
  now = Date.now(),
): Promise<AllowlistsAddResult> {
  const list = await requireListByName(db, name);
  const invalid: string[] = [];
  const valid: string[] = [];
  for (const v of values) {
    try {
      valid.push(parseItemValue(v).value);
    } catch (err) {
      if (!(err instanceof IpParseError)) throw err;
      invalid.push(err.message);
    }
  }
  if (valid.length === 0) return { invalid, added: 0, skipped: [], expired: 0 };
  // whole milliseconds: a Go duration can carry a fraction the time columns cannot
  const expiresAt = o.expirationMs ? Math.round(now + o.expirationMs) : null;
  const r = await addItemsAndApply({ db }, list.id, { values: valid, description: o.comment ?? '', expiresAt, actor: CLI_ACTOR }, now);
  return { invalid, added: r.added.length, skipped: r.skipped, expired: r.expired };
}

/** `-e/--expiration`: absent or 0 is never; negative is refused. */
export function expirationFlag(flags: FlagValues): number | null {
  if (stringFlag(flags, 'expiration') === undefined) return null;
  const ms = durationFlag(flags, 'expiration', 'e', 0);
  if (ms < 0) throw new CliError(`the expiration must be positive, got '${stringFlag(flags, 'expiration')}'`);
  return ms === 0 ? null : ms;
}

export const addCommand: LeafCommand = {
  name: 'add',
  usage: 'NAME VALUE...',
  summary: 'Add content to an allowlist',
  description:
    'Add IPs or CIDR ranges to an allowlist. When the list applies everywhere (the organization subscribes to it), the active decisions the new values cover are deleted.',
  examples: ['lapis allowlists add my_allowlist 1.2.3.4 2.3.4.0/24 -e 7d -d "my comment"'],
  flags: {
    expiration: {
      type: 'string',
      short: 'e',
      valueName: 'duration',
      description: 'expiration duration (days allowed: 7d, 1d12h); default: never',
    },
    comment: { type: 'string', short: 'd', description: 'comment for the values' },
  },
  args: { min: 2, max: Infinity },
  async run(ctx, [name, ...values], flags) {
    const expirationMs = expirationFlag(flags);
    const comment = stringFlag(flags, 'comment');
    const r = await withDb(ctx, (db) => allowlistsAdd(db, name!, values, { expirationMs, ...(comment !== undefined ? { comment } : {}) }));
    for (const msg of r.invalid) ctx.out.error(msg);
    for (const v of r.skipped) ctx.out.warn(`value ${v} already in allowlist`);
    // as cscli: with invalid values and nothing added, stdout stays empty
    if (r.added > 0) ctx.out.line(`added ${r.added} values to allowlist ${name}`);
    else if (r.invalid.length === 0) ctx.out.line('no new values for allowlist');
    if (r.expired > 0) ctx.out.line(`${r.expired} decisions deleted by allowlists`);
  },
};
