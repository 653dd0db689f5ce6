import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from './dialect.js';
import type { Tables } from './tables.js';

/**
 * The organization id admin API objects carry: the configured one, else one drawn the first time and
 * kept in `config_items`, so that every node and every restart agree on it.
 */
export async function organizationId(db: Kysely<Tables>, configured?: string): Promise<string> {
  if (configured) return configured;
  const read = () => db.selectFrom('config_items').select('value').where('name', '=', 'organization_id').executeTakeFirst();
  const have = await read();
  if (have) return have.value;
  try {
    await db
      .insertInto('config_items')
      .values({ name: 'organization_id', value: `lapis-${randomBytes(8).toString('hex')}` })
      .execute();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
  return (await read())!.value;
}
