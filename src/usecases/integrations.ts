import { generateApiKey, hashApiKey } from '../auth/api-key.js';
import { newCredentials, secretOf, type Credentials, type Integration } from '../domain/integration.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { bump } from '../store/allowlists.js';
import { deleteSubscriptionsOf, getBlocklist } from '../store/blocklists.js';
import { nextSequence } from '../store/decisions.js';
import {
  deleteIntegrationRow,
  getIntegration,
  insertIntegration,
  updateIntegrationRow,
  type IntegrationPatch,
  type NewIntegration,
} from '../store/integrations.js';
import { reconcile, servedTypes, type BlocklistWriter } from './blocklists.js';

/** The types of subscription that name an integration by its id. */
const INTEGRATION_SUBSCRIBERS = ['firewall_integration', 'remediation_component_integration'];

/** Creates an integration with fresh credentials, returned once: only their hash is stored. */
export async function createIntegration(
  w: BlocklistWriter,
  n: Omit<NewIntegration, 'username' | 'secretHash'>,
  now = Date.now(),
): Promise<{ integration: Integration; credentials: Credentials }> {
  const credentials = newCredentials(n.entityType, generateApiKey);
  const integration = await insertIntegration(
    w.db,
    { ...n, username: 'username' in credentials ? credentials.username : null, secretHash: hashApiKey(secretOf(credentials)) },
    now,
  );
  await w.settle?.('allowlists');
  return { integration, credentials };
}

/** Applies a PATCH; `regenerate` mints new credentials (the old ones stop working at once) and returns them. */
export async function updateIntegration(
  w: BlocklistWriter,
  id: string,
  patch: Omit<IntegrationPatch, 'credentials'>,
  regenerate: boolean,
  now = Date.now(),
): Promise<{ integration: Integration; credentials: Credentials | null }> {
  const current = await getIntegration(w.db, id);
  if (!current) throw new NotFoundError(`integration '${id}' not found`);
  const credentials = regenerate ? newCredentials(current.entityType, generateApiKey) : null;
  const integration = await updateIntegrationRow(
    w.db,
    id,
    {
      ...patch,
      credentials: credentials
        ? { username: 'username' in credentials ? credentials.username : null, secretHash: hashApiKey(secretOf(credentials)) }
        : undefined,
    },
    now,
  );
  await w.settle?.('allowlists');
  return { integration, credentials };
}

/**
 * Deletes an integration. While lists are subscribed to it, only with `force`, which ends those subscriptions
 * (and the decisions they alone were served as) in the same transaction.
 */
export async function deleteIntegration(w: BlocklistWriter, id: string, force: boolean, now = Date.now()): Promise<void> {
  await w.db.transaction().execute(async (trx) => {
    const seq = await nextSequence(trx);
    if (!(await getIntegration(trx, id))) throw new NotFoundError(`integration '${id}' not found`);
    const subscribed = await trx
      .selectFrom('blocklist_subscribers')
      .select('blocklist_id')
      .where('entity_type', 'in', INTEGRATION_SUBSCRIBERS)
      .where('entity_id', '=', id)
      .execute();
    const allowlisted = await trx
      .selectFrom('allowlist_subscribers')
      .select('allowlist_id')
      .where('entity_type', 'in', INTEGRATION_SUBSCRIBERS)
      .where('entity_id', '=', id)
      .execute();
    if ((subscribed.length > 0 || allowlisted.length > 0) && !force)
      throw new ConflictError(
        `integration '${id}' is subscribed to ${subscribed.length + allowlisted.length} list(s): unsubscribe it first, or delete with force=true`,
      );
    const before = new Map<string, string[]>();
    for (const { blocklist_id } of subscribed) {
      const list = await getBlocklist(trx, blocklist_id);
      if (list) before.set(blocklist_id, await servedTypes(trx, list));
    }
    await deleteSubscriptionsOf(trx, INTEGRATION_SUBSCRIBERS, id);
    for (const [listId, types] of before) {
      const list = await getBlocklist(trx, listId);
      if (list) await reconcile(trx, list, types, seq, now);
    }
    if (allowlisted.length > 0) {
      await trx
        .deleteFrom('allowlist_subscribers')
        .where('entity_type', 'in', INTEGRATION_SUBSCRIBERS)
        .where('entity_id', '=', id)
        .execute();
      await bump(trx);
    }
    await deleteIntegrationRow(trx, id);
  });
  await w.settle?.('allowlists');
}
