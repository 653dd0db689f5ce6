import { generateApiKey, hashApiKey } from '../../auth/api-key.js';
import { UserExistsError } from '../../errors.js';
import { createBouncer } from '../../store/bouncers.js';
import type { Db } from '../../store/db.js';
import { stringFlag, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { goJson } from '../../go-format.js';
import type { Printer } from '../output.js';

/**
 * `lapis bouncers add`: stores the SHA-512 of the key (given, else a random 43-char one) with an empty IP.
 * Returns the key. Throws CliError `unable to create bouncer: bouncer NAME already exists`.
 */
export async function bouncersAdd(db: Db, name: string, key?: string, now = Date.now()): Promise<string> {
  const apiKey = key || generateApiKey();
  try {
    await createBouncer(db, { name, keyHash: hashApiKey(apiKey), ipAddress: '', authType: 'api-key' }, now);
  } catch (err) {
    if (err instanceof UserExistsError) throw new CliError(`unable to create bouncer: ${err.message}`);
    throw err;
  }
  return apiKey;
}

export function printApiKey(out: Printer, name: string, key: string): void {
  switch (out.format) {
    case 'human':
      return out.out(`API key for '${name}':\n\n   ${key}\n\nPlease keep this key since you will not be able to retrieve it!\n`);
    case 'raw':
      return out.out(key);
    case 'json':
      return out.out(goJson(key));
  }
}

export const addCommand: LeafCommand = {
  name: 'add',
  usage: 'NAME',
  summary: 'add a single bouncer to the database',
  examples: ['lapis bouncers add MyBouncerName', 'lapis bouncers add MyBouncerName --key <random-key>'],
  flags: {
    key: { type: 'string', short: 'k', description: 'api key for the bouncer' },
    length: { type: 'string', short: 'l', description: 'length of the api key (deprecated, ignored)', deprecated: 'use --key instead' },
  },
  args: { min: 1, max: 1 },
  async run(ctx, [name], flags) {
    const key = await withDb(ctx, (db) => bouncersAdd(db, name!, stringFlag(flags, 'key')));
    printApiKey(ctx.out, name!, key);
  },
};
