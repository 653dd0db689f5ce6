import type { BlocklistSubscription } from '../../domain/blocklist.js';
import {
  INTEGRATION_FORMATS,
  type Credentials,
  type Integration,
  type IntegrationFormat,
  type IntegrationType,
} from '../../domain/integration.js';
import { isOutputFormat } from '../../domain/integration-formats.js';
import { rfc3339 } from '../../go-format.js';
import { allBlocklistSubscriptions, allBlocklists } from '../../store/blocklists.js';
import type { Db } from '../../store/db.js';
import { getIntegration, getIntegrationByName } from '../../store/integrations.js';
import { CliError } from '../context.js';
import type { Printer } from '../output.js';

/** An integration named by name or id, or CliError `integration 'X' not found`. */
export async function requireIntegrationRef(db: Db, ref: string): Promise<Integration> {
  const found = (await getIntegrationByName(db, ref)) ?? (await getIntegration(db, ref));
  if (!found) throw new CliError(`integration '${ref}' not found`);
  return found;
}

const TYPES: Record<string, IntegrationType> = {
  firewall: 'firewall_integration',
  firewall_integration: 'firewall_integration',
  remediation_component: 'remediation_component_integration',
  remediation_component_integration: 'remediation_component_integration',
};

/** `--type`: firewall or remediation_component, or their entity_type names. */
export function integrationType(raw: string): IntegrationType {
  const t = TYPES[raw];
  if (!t) throw new CliError(`invalid type '${raw}': must be firewall or remediation_component`);
  return t;
}

/**
 * `--format` for an integration of that type: a firewall reads any text format but `remediation_component`;
 * a remediation component reads the decision stream, whose format is `remediation_component` only.
 */
export function integrationFormat(raw: string, type: IntegrationType): IntegrationFormat {
  if (!isOutputFormat(raw)) throw new CliError(`unknown format '${raw}': must be one of ${INTEGRATION_FORMATS.join(', ')}`);
  if (type === 'firewall_integration' && raw === 'remediation_component')
    throw new CliError('a firewall integration cannot use the format remediation_component: choose a text format such as plain_text');
  if (type === 'remediation_component_integration' && raw !== 'remediation_component')
    throw new CliError(`a remediation component integration uses the format remediation_component, not ${raw}`);
  return raw;
}

/** `--pull-limit`: a whole number of entries; 0 is no limit (null). */
export function pullLimit(raw: string): number | null {
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)))
    throw new CliError(`invalid argument "${raw}" for "--pull-limit" flag: a whole number is expected (0: no limit)`);
  return Number(raw) === 0 ? null : Number(raw);
}

/** The path an integration is read on: a firewall's content, a remediation component's LAPI base URL. */
export function endpointPath(i: Integration): string {
  return i.entityType === 'firewall_integration' ? `/v1/integrations/${i.id}/content` : `/v1/integrations/${i.id}`;
}

/** A blocklist an integration reads, with the remediation of the subscription that reaches it and how. */
export interface ReadList {
  id: string;
  name: string;
  label: string;
  remediation: string;
  /** `firewall_integration`, `remediation_component_integration` (by its id), `tag:<tag>` or `org`. */
  via: string;
}

/** What the lists an integration reads are subscribed through, most specific first. */
function rank(s: BlocklistSubscription): number {
  return s.entityType === 'org' ? 2 : s.entityType === 'tag' ? 1 : 0;
}

/** The lists an integration reads: subscribed to it by id, through one of its tags, or by the organization. */
export async function listsRead(db: Db, integrations: readonly Integration[]): Promise<Map<string, ReadList[]>> {
  const subs = await allBlocklistSubscriptions(db);
  const lists = new Map((await allBlocklists(db)).map((l) => [l.id, l]));
  const out = new Map<string, ReadList[]>();
  for (const i of integrations) {
    const best = new Map<string, BlocklistSubscription>();
    for (const s of subs) {
      const hit =
        s.entityType === 'org' ||
        (s.entityType === 'tag' && i.tags.includes(s.entityId)) ||
        (s.entityType === i.entityType && s.entityId === i.id);
      const prev = best.get(s.blocklistId);
      if (hit && (!prev || rank(s) < rank(prev))) best.set(s.blocklistId, s);
    }
    const read: ReadList[] = [];
    for (const [id, s] of best) {
      const l = lists.get(id);
      if (!l) continue;
      read.push({
        id,
        name: l.name,
        label: l.label,
        remediation: s.remediation,
        via: s.entityType === 'tag' ? `tag:${s.entityId}` : s.entityType,
      });
    }
    out.set(
      i.id,
      read.sort((a, b) => a.name.localeCompare(b.name)),
    );
  }
  return out;
}

/** An integration as the CLI prints it (never its credentials, except right after they are made). */
export interface ShownIntegration {
  id: string;
  name: string;
  description: string;
  entity_type: IntegrationType;
  output_format: IntegrationFormat;
  pull_limit: number | null;
  enable_ip_aggregation: boolean;
  tags: string[];
  created_at: string;
  updated_at: string;
  last_pull: string | null;
  endpoint: string;
  /** Basic username of a firewall integration (the password is never stored). */
  username: string | null;
  blocklists: ReadList[];
}

export function showIntegration(i: Integration, blocklists: ReadList[]): ShownIntegration {
  return {
    id: i.id,
    name: i.name,
    description: i.description,
    entity_type: i.entityType,
    output_format: i.outputFormat,
    pull_limit: i.pullLimit,
    enable_ip_aggregation: i.enableIpAggregation,
    tags: i.tags,
    created_at: rfc3339(i.createdAt),
    updated_at: rfc3339(i.updatedAt),
    last_pull: i.lastPull === null ? null : rfc3339(i.lastPull),
    endpoint: endpointPath(i),
    username: i.username,
    blocklists,
  };
}

/** The secret(s) alone, for scripts: `username:password` for a firewall, the API key for a remediation component. */
export function rawSecret(c: Credentials): string {
  return 'api_key' in c ? c.api_key : `${c.username}:${c.password}`;
}

/**
 * Fresh credentials, printed once: human, the values and a warning that they cannot be shown again;
 * raw, the bare secret (no newline, as `bouncers add -o raw`); json, the integration with `credentials`.
 */
export function printCredentials(out: Printer, heading: string, shown: ShownIntegration, c: Credentials): void {
  switch (out.format) {
    case 'raw':
      return out.out(rawSecret(c));
    case 'json':
      return out.json({ ...shown, credentials: c });
    case 'human': {
      const lines = [heading, '', `   Endpoint: ${shown.endpoint}`];
      if ('api_key' in c) lines.push(`   API key:  ${c.api_key}`);
      else lines.push(`   Username: ${c.username}`, `   Password: ${c.password}`);
      lines.push('', 'Please keep these credentials since you will not be able to retrieve them!');
      return out.line(lines.join('\n'));
    }
  }
}
