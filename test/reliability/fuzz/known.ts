import { randomBytes } from 'node:crypto';
import { send, type FuzzRequest } from './client.js';
import { CREDS, type Target } from './target.js';

/**
 * The decisions seeded before the run, which it must leave intact: pushed as cscli pushes them, under a
 * scenario no generator produces, and read back at the end by a bouncer the fuzzer never sends the key of.
 */
export interface KnownSet {
  tag: string;
  /** `origin|scope|value|type|scenario|id`, sorted, as the verifier reads them. */
  decisions: string[];
  /** The largest alert or decision id the seeding made: deletions by id stay above it. */
  maxId: number;
}

const VALUES: [string, string][] = [
  ['Ip', '198.51.100.1'],
  ['Ip', '198.51.100.2'],
  ['Ip', '2001:db8::7'],
  ['Range', '203.0.113.0/24'],
  ['Range', '2001:db8:1::/48'],
  ['Country', 'FR'],
  ['Username', 'root'],
];

function alert(tag: string, scope: string, value: string) {
  const now = new Date().toISOString();
  return {
    capacity: 0,
    decisions: [{ duration: '24h', origin: 'cscli', scenario: tag, scope, type: 'ban', value }],
    events: [],
    events_count: 1,
    kind: 'cscli',
    labels: null,
    leakspeed: '0',
    message: tag,
    remediation: true,
    scenario: tag,
    scenario_hash: '',
    scenario_version: '',
    simulated: false,
    source: { scope, value },
    start_at: now,
    stop_at: now,
  };
}

export async function login(target: Target): Promise<string> {
  const r = await send(target.lapi, {
    listener: 'lapi',
    method: 'POST',
    path: '/v1/watchers/login',
    headers: { 'content-type': 'application/json', 'user-agent': 'crowdsec/v1.7.8-linux' },
    body: JSON.stringify({ machine_id: CREDS.machine, password: CREDS.password }),
  });
  if (r.status !== 200) throw new Error(`login: ${r.status} ${r.body}`);
  return (JSON.parse(r.body) as { token: string }).token;
}

/** What the verifier bouncer sees of the known set. */
export async function readKnown(target: Target, tag: string): Promise<string[]> {
  const req: FuzzRequest = {
    listener: 'lapi',
    method: 'GET',
    path: `/v1/decisions?scenarios_containing=${tag}`,
    headers: { 'x-api-key': CREDS.verifierKey },
  };
  const r = await send(target.lapi, req);
  if (r.status !== 200) throw new Error(`verifier: ${r.status} ${r.body}`);
  const list = (JSON.parse(r.body) ?? []) as { id: number; origin: string; scope: string; value: string; type: string; scenario: string }[];
  return list.map((d) => `${d.origin}|${d.scope}|${d.value}|${d.type}|${d.scenario}|${d.id}`).sort();
}

export async function seedKnown(target: Target, token: string): Promise<KnownSet> {
  const tag = `lapis-known-${randomBytes(8).toString('hex')}`;
  const r = await send(target.lapi, {
    listener: 'lapi',
    method: 'POST',
    path: '/v1/alerts',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(VALUES.map(([scope, value]) => alert(tag, scope, value))),
  });
  if (r.status !== 201) throw new Error(`seeding: ${r.status} ${r.body}`);
  const alertIds = (JSON.parse(r.body) as string[]).map(Number);
  const decisions = await readKnown(target, tag);
  if (decisions.length !== VALUES.length) throw new Error(`seeding: the verifier sees ${decisions.length} decisions, not ${VALUES.length}`);
  const decisionIds = decisions.map((d) => Number(d.split('|').pop()));
  return { tag, decisions, maxId: Math.max(...alertIds, ...decisionIds) };
}
