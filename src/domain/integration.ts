import { randomBytes } from 'node:crypto';

/**
 * Integrations, as the console's Service API has them: a firewall that pulls blocklists as text over HTTP
 * Basic (`firewall_integration`), or a bouncer that reads them with the LAPI stream protocol and an API key
 * (`remediation_component_integration`). Times are epoch milliseconds.
 */

export const INTEGRATION_TYPES = ['firewall_integration', 'remediation_component_integration'] as const;
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];

export { OUTPUT_FORMATS as INTEGRATION_FORMATS, type OutputFormat as IntegrationFormat } from './integration-formats.js';
import type { OutputFormat as IntegrationFormat } from './integration-formats.js';

export interface Integration {
  id: string;
  name: string;
  description: string;
  entityType: IntegrationType;
  outputFormat: IntegrationFormat;
  /** The most entries one pull serves; null: all. */
  pullLimit: number | null;
  enableIpAggregation: boolean;
  createdAt: number;
  updatedAt: number;
  lastPull: number | null;
  /** Basic username (firewall integrations); null for remediation components. */
  username: string | null;
  tags: string[];
}

/** What a new or regenerated integration is given, shown once. */
export type Credentials = { username: string; password: string } | { api_key: string };

/** Fresh credentials: Basic for a firewall (a readable user, a 32-byte password), an API key for a remediation component. */
export function newCredentials(type: IntegrationType, apiKey: () => string): Credentials {
  if (type === 'remediation_component_integration') return { api_key: apiKey() };
  return { username: `lapis-${randomBytes(6).toString('hex')}`, password: randomBytes(32).toString('base64url') };
}

/** The secret whose hash is stored. */
export function secretOf(c: Credentials): string {
  return 'api_key' in c ? c.api_key : c.password;
}
