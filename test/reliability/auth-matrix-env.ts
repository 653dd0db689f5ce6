import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { apikeysAdd } from '../../src/cli/apikeys/add.js';
import { hashApiKey } from '../../src/auth/api-key.js';
import { loadJwtSecret } from '../../src/auth/jwt.js';
import { hashPassword } from '../../src/auth/password.js';
import type { Db } from '../../src/store/db.js';
import { createBouncer } from '../../src/store/bouncers.js';
import { createMachine } from '../../src/store/machines.js';
import { pino } from 'pino';
import { startServer } from '../../src/server.js';
import { tempDir, testDbConfig } from '../helpers/app.js';
import { cscliAlert, UA } from '../helpers/actors.js';

/**
 * What the auth matrix runs against: a real `lapis serve` (Local API and admin API listeners) per
 * configuration, with one validated agent, one bouncer key and one admin key, and raw HTTP to it.
 */

export const PASSWORD = 'matrix-password-0123456789';

export interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface Env {
  db: Db;
  /** The Local API's address (127.0.0.1 or ::1) and port; the admin API is on 127.0.0.1. */
  host: string;
  port: number;
  adminPort: number;
  /** The JWT secret, read from the data dir as the app reads it. */
  secret: Uint8Array;
  /** A validated machine and the token its login gave. */
  agent: { id: string; token: string };
  /** A second validated machine: tampered tokens try to become it. */
  other: string;
  bouncerKey: string;
  adminKey: string;
  /** bcrypt of PASSWORD, computed once (machines made in setups reuse it). */
  passwordHash: string;
}

/**
 * One HTTP/1.1 request on a fresh connection, path sent as written (fetch would normalise `//`, `/./`,
 * `%2e%2e`), header names in the case given, from `localAddress` (any 127.0.0.0/8 address on Linux).
 */
export function send(
  to: { host?: string; port: number },
  opts: { method: string; path: string; headers?: Record<string, string | string[]>; body?: unknown; localAddress?: string },
): Promise<Res> {
  const payload = opts.body === undefined ? undefined : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
  const headers: Record<string, string | string[]> = { ...(opts.headers ?? {}) };
  if (payload) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: to.host ?? '127.0.0.1',
        port: to.port,
        method: opts.method,
        path: opts.path,
        headers,
        agent: false,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export async function login(e: Pick<Env, 'host' | 'port'>, machineId: string, password = PASSWORD): Promise<string> {
  const res = await send(e, {
    method: 'POST',
    path: '/v1/watchers/login',
    headers: { 'User-Agent': UA },
    body: { machine_id: machineId, password },
  });
  assert.equal(res.status, 200, `login ${machineId}: ${res.text}`);
  return (JSON.parse(res.text) as { token: string }).token;
}

/** Pushes one cscli-style alert (one live ban) as the agent; returns its id. */
export async function pushAlert(e: Env, value = '198.51.100.7'): Promise<string> {
  const res = await send(e, {
    method: 'POST',
    path: '/v1/alerts',
    headers: { Authorization: `Bearer ${e.agent.token}` },
    body: [cscliAlert(value)],
  });
  assert.equal(res.status, 201, res.text);
  return (JSON.parse(res.text) as string[])[0]!;
}

/** A live decision for DELETE rows to (not) expire. */
export async function ensureLiveDecision(e: Env): Promise<void> {
  const live = await e.db
    .selectFrom('decisions')
    .select('id')
    .where('until', '>', Date.now() + 60_000)
    .executeTakeFirst();
  if (!live) await pushAlert(e);
}

export async function addValidatedMachine(e: Env, machineId: string): Promise<void> {
  await createMachine(e.db, { machineId, passwordHash: e.passwordHash, isValidated: true });
}

export async function addBouncerKey(db: Db, name: string, key = `${name}-key-0123456789abcdef`): Promise<string> {
  await createBouncer(db, { name, keyHash: hashApiKey(key) });
  return key;
}

/** HS-signed with the given secret (the real one unless a test forges). */
export function sign(secret: Uint8Array, claims: Record<string, unknown>, alg = 'HS256'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(secret);
}

export const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
export const nowS = () => Math.floor(Date.now() / 1000);

export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * Everything a refused request must leave alone: machines (heartbeat, validation, version…), bouncers
 * (ip, type, last pull), alerts, decision expiries, usage metrics, allowlists and admin keys.
 */
export async function fingerprint(db: Db): Promise<string> {
  const machines = await db
    .selectFrom('machines')
    .select(['machine_id', 'is_validated', 'ip_address', 'last_heartbeat', 'last_push', 'updated_at', 'version', 'os_name', 'scenarios'])
    .orderBy('id')
    .execute();
  const bouncers = await db
    .selectFrom('bouncers')
    .select(['name', 'ip_address', 'type', 'version', 'last_pull', 'updated_at', 'os_name'])
    .orderBy('id')
    .execute();
  const alerts = await db.selectFrom('alerts').select(['id', 'machine_ref']).orderBy('id').execute();
  const decisions = await db.selectFrom('decisions').select(['id', 'until']).orderBy('id').execute();
  const count = (t: 'metrics' | 'allowlists' | 'allowlist_items') =>
    db.selectFrom(t).select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  const adminKeys = await db.selectFrom('admin_keys').select(['name', 'last_used_at']).orderBy('id').execute();
  return JSON.stringify({
    machines,
    bouncers,
    alerts,
    decisions,
    metrics: await count('metrics'),
    lists: await count('allowlists'),
    items: await count('allowlist_items'),
    adminKeys,
  });
}

/** Starts a real server (as test/helpers/server.ts, on `listen`) with `yaml` under api.server, and its fixtures. */
export async function startEnv(t: { after(fn: () => unknown): void }, yaml: string, listen = '127.0.0.1:0'): Promise<Env> {
  const dir = tempDir(t);
  const srv = await startServer(
    testDbConfig(dir, `api:\n  server:\n    listen_uri: ${JSON.stringify(listen)}\n${yaml}`),
    pino({ level: 'silent' }),
  );
  t.after(() => srv.close());
  const dataDir = join(dir, 'data');
  const url = new URL(srv.url);
  assert.ok(existsSync(join(dataDir, 'jwt-secret')), 'the server keeps its JWT secret in the data dir');
  const passwordHash = await hashPassword(PASSWORD);
  const partial = {
    db: srv.db,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port),
    adminPort: Number(new URL(srv.adminUrl!).port),
    secret: loadJwtSecret(null, dataDir),
    passwordHash,
  };
  // registered hours ago: the rows craft tokens whose sessions opened up to an hour back, which a machine
  // registered just now would refuse as a predecessor's
  const longAgo = Date.now() - 3 * 3600 * 1000;
  await createMachine(srv.db, { machineId: 'agent-a', passwordHash, isValidated: true }, longAgo);
  await createMachine(srv.db, { machineId: 'agent-b', passwordHash, isValidated: true }, longAgo);
  const e: Env = {
    ...partial,
    agent: { id: 'agent-a', token: await login(partial, 'agent-a') },
    other: 'agent-b',
    bouncerKey: await addBouncerKey(srv.db, 'fw'),
    adminKey: await apikeysAdd(srv.db, 'ops'),
  };
  await pushAlert(e);
  return e;
}
