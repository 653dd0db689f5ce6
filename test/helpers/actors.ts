/**
 * The actors of a test app and what they send: machines (login, alerts as cscli and agents push them), bouncers
 * (GET with their key), admin keys. For the recorded alert payloads under test/fixtures, see fixture-alerts.ts.
 */
import { gzipSync } from 'node:zlib';
import { hashPassword } from '../../src/auth/password.js';
import { createMachine } from '../../src/store/machines.js';
import { hashApiKey } from '../../src/auth/api-key.js';
import { createBouncer } from '../../src/store/bouncers.js';
import type { TestApp } from './app.js';
import { createAdminKey } from '../../src/store/admin-keys.js';

export const UA = 'crowdsec/v1.7.8-linux';

/** A validated machine with a password. */
export async function addMachine(t: TestApp, machineId = 'web-01', password = 's3cr3t-but-long-enough', validated = true) {
  await createMachine(t.db, { machineId, passwordHash: await hashPassword(password), isValidated: validated });
  return { machineId, password };
}

export async function addBouncer(t: TestApp, name = 'fw', key = 'a-bouncer-key-0123456789') {
  await createBouncer(t.db, { name, keyHash: hashApiKey(key) });
  return key;
}

/** Logs in and returns the bearer token. */
export async function login(t: TestApp, machineId = 'web-01', password = 's3cr3t-but-long-enough'): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/watchers/login',
    headers: { 'user-agent': UA },
    payload: { machine_id: machineId, password },
  });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { token: string }).token;
}

export function gzipJson(v: unknown): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(v)));
}

/** An alert as `cscli decisions add` sends it (cscli.md §3), one decision. */
export function cscliAlert(
  value: string,
  opts: { duration?: string; type?: string; scope?: string; origin?: string; scenario?: string; stopAt?: string; simulated?: boolean } = {},
) {
  const now = opts.stopAt ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const reason = opts.scenario ?? `manual '${opts.type ?? 'ban'}' from 'web-01'`;
  const scope = opts.scope ?? (value.includes('/') ? 'Range' : 'Ip');
  return {
    capacity: 0,
    created_at: now,
    decisions: [
      { duration: opts.duration ?? '4h', origin: opts.origin ?? 'cscli', scenario: reason, scope, type: opts.type ?? 'ban', value },
    ],
    events: [],
    events_count: 1,
    kind: 'cscli',
    labels: null,
    leakspeed: '0',
    message: reason,
    remediation: true,
    scenario: reason,
    scenario_hash: '',
    scenario_version: '',
    simulated: opts.simulated ?? false,
    source: { ip: value, scope, value },
    start_at: now,
    stop_at: now,
  };
}

/** Pushes alerts as a machine; returns the ids. */
export async function pushAlerts(t: TestApp, token: string, alerts: unknown[]): Promise<string[]> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/alerts',
    headers: { authorization: `Bearer ${token}` },
    payload: alerts as object,
  });
  if (res.statusCode !== 201) throw new Error(`push failed: ${res.statusCode} ${res.body}`);
  return res.json() as string[];
}

export async function bouncerGet(t: TestApp, key: string, url: string, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'GET', url, headers: { 'x-api-key': key, 'user-agent': 'crowdsec-firewall-bouncer/v0.0.31', ...headers } });
}

/** Replaces durations (which depend on the clock) by a marker, for exact comparisons. */
export function stripDurations(body: string): string {
  return body.replace(/"duration":"-?[0-9hms.]+"/g, '"duration":"D"');
}

/** An admin API key, as `lapis apikeys add` makes one. */
export async function addAdminKey(t: TestApp, name = 'test-key-for-monitoring', key = 'an-admin-key-0123456789abcdef') {
  await createAdminKey(t.db, name, hashApiKey(key));
  return key;
}
