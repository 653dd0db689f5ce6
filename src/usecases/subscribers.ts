import { getBouncer } from '../store/bouncers.js';
import type { Db } from '../store/db.js';
import { getIntegration } from '../store/integrations.js';
import { getMachine } from '../store/machines.js';

/**
 * Why an entity cannot subscribe to a list (allowlist or blocklist), or null when it can: the checks both
 * kinds of list share. `org` is each caller's own (allowlists name the organization, blocklists take no id).
 */
export async function entityRefusal(db: Db, type: string, id: string): Promise<string | null> {
  switch (type) {
    case 'engine':
      return (await getMachine(db, id)) ? null : `no machine named '${id}'`;
    case 'tag':
      return id.trim() === '' ? 'a tag cannot be empty' : null;
    case 'remediation_component_integration': {
      // a bouncer of this instance by name, or a remediation-component integration by id
      const i = await getIntegration(db, id);
      if (i) return i.entityType === 'remediation_component_integration' ? null : `integration '${id}' is a firewall integration`;
      return (await getBouncer(db, id)) ? null : `no bouncer or remediation component integration '${id}'`;
    }
    case 'firewall_integration': {
      const i = await getIntegration(db, id);
      if (!i) return `no firewall integration '${id}'`;
      return i.entityType === 'firewall_integration' ? null : `integration '${id}' is a remediation component integration`;
    }
    default:
      return `unknown entity type '${type}'`;
  }
}
