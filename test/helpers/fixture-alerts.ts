import { readFileSync } from 'node:fs';

/** The keys the swagger's Alert requires (pkg/models/localapi_swagger.yaml), in alphabetical order. */
export const ALERT_REQUIRED_KEYS = [
  'capacity',
  'events',
  'events_count',
  'leakspeed',
  'message',
  'scenario',
  'scenario_hash',
  'scenario_version',
  'simulated',
  'source',
  'start_at',
  'stop_at',
] as const;

/** Reads a JSON fixture from test/fixtures (the sources, not dist). */
export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

/** The ssh-bf alert fixture, re-dated to now so that its 4h decision is active. */
export function sshAlert(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const a = fixture('ssh-bf-alert.json');
  const now = Date.now();
  return { ...a, start_at: new Date(now - 1500).toISOString(), stop_at: new Date(now).toISOString(), ...overrides };
}

/** The real crowdsec 1.4.6 agent's payload for an ssh brute force (no decisions), re-dated to now. */
export function agentAlerts(ip = '1.1.1.172'): Record<string, unknown>[] {
  const alerts = fixture<Record<string, unknown>[]>('crowdsec-1.4.6-ssh-bf-alerts.json');
  const now = Date.now();
  return alerts.map((a) => ({
    ...a,
    start_at: new Date(now - 5000).toISOString(),
    stop_at: new Date(now).toISOString(),
    source: { ...(a.source as object), ip, value: ip },
  }));
}
