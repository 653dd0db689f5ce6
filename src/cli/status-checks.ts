import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { sql } from 'kysely';
import type { Config } from '../config/schema.js';
import { formatGoDuration } from '../domain/duration.js';
import { rfc3339 } from '../go-format.js';
import { listBouncers } from '../store/bouncers.js';
import type { Db } from '../store/db.js';
import { openKysely } from '../store/dialect.js';
import { listMachines } from '../store/machines.js';
import { migrationState } from '../store/migrate.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One line of `lapis status`: what was checked, how it went, and the facts behind it (the JSON output). */
export interface Check {
  status: CheckStatus;
  message: string;
  [fact: string]: unknown;
}

const DAY_MS = 86_400_000;
/** A certificate this close to its end is a warning: time to renew it, as certbot's default renewal window. */
export const CERT_WARN_DAYS = 30;
const HEALTH_TIMEOUT_MS = 5000;

const errorText = (err: unknown): string => {
  const e = err as Error & { code?: string; errors?: Error[] };
  // connecting to a name with several addresses fails with an AggregateError and no message
  return (e.message || e.errors?.[0]?.message || e.code || String(err)).split('\n')[0]!;
};

/** Where and how `GET /health` reaches the server: the Unix socket when set (plain HTTP), else listen_uri. */
function healthTarget(config: Config): { where: string; https: boolean; options: RequestOptions & Record<string, unknown> } {
  const socketPath = config.server.listen_socket;
  if (socketPath) return { where: socketPath, https: false, options: { socketPath, path: '/health' } };
  // a wildcard listener answers on loopback
  const host = { '0.0.0.0': '127.0.0.1', '::': '::1', '': '127.0.0.1' }[config.listen.host] ?? config.listen.host;
  const tls = config.server.tls;
  const https = Boolean(tls?.cert_file && tls.key_file);
  const where = `${https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${config.listen.port}`;
  const options: RequestOptions & Record<string, unknown> = { host, port: config.listen.port, path: '/health' };
  if (https) {
    // the server's certificate is checked as a client would: the system's CAs plus the one client certificates chain to
    options.ca = [...rootCertificates, ...(tls?.ca_cert_path ? [readFileSync(tls.ca_cert_path, 'utf8')] : [])];
    options.rejectUnauthorized = !config.client.insecure_skip_verify;
    if (tls?.server_name) options.servername = tls.server_name;
  }
  return { where, https, options };
}

/** `GET /health` answers 200 with `{"status":"up"}`. Never throws. */
export function checkServer(config: Config): Promise<Check> {
  let target: ReturnType<typeof healthTarget>;
  try {
    target = healthTarget(config);
  } catch (err) {
    return Promise.resolve({ status: 'fail', message: `cannot read api.server.tls.ca_cert_path: ${errorText(err)}` });
  }
  const { where, options } = target;
  const started = Date.now();
  return new Promise((resolve) => {
    const done = (c: Check) => resolve({ ...c, url: where });
    const req = (target.https ? httpsRequest : httpRequest)({ ...options, method: 'GET', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        const up = res.statusCode === 200 && body.includes('"up"');
        done(
          up
            ? { status: 'ok', message: `${where} is up (${Date.now() - started} ms)` }
            : { status: 'fail', message: `${where}: GET /health answered ${res.statusCode}` },
        );
      });
    });
    req.setTimeout(HEALTH_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${HEALTH_TIMEOUT_MS / 1000}s`)));
    req.on('error', (err) => done({ status: 'fail', message: `${where} is down: ${errorText(err)}` }));
    req.end();
  });
}

/**
 * Opens the store without migrating it (unlike every other verb): reachable, and every migration of this
 * version applied. Returns the open database for the row checks when reachable, and never throws.
 */
export async function checkDatabase(config: Config): Promise<{ check: Check; db: Db | null }> {
  const c = config.db;
  const where = c.type === 'sqlite' ? c.db_path : `${c.type} ${c.host ?? 'localhost'}${c.port ? `:${c.port}` : ''}/${c.db_name ?? ''}`;
  // opening a missing SQLite file would create an empty one
  if (c.type === 'sqlite' && c.db_path !== ':memory:' && !existsSync(c.db_path)) {
    return { check: { status: 'fail', message: `${where} does not exist (lapis migrate creates it)`, database: where }, db: null };
  }
  let db: Db | undefined;
  try {
    db = await openKysely(c);
    await sql`select 1`.execute(db);
    const { applied, pending } = await migrationState(db);
    const check: Check =
      pending.length === 0
        ? { status: 'ok', message: `${where}: reachable, ${applied.length} migrations applied`, database: where, pending }
        : {
            status: 'fail',
            message: `${where}: ${pending.length} migration(s) pending: ${pending.join(', ')} (lapis migrate applies them)`,
            database: where,
            pending,
          };
    return { check, db };
  } catch (err) {
    await db?.destroy();
    return { check: { status: 'fail', message: `${where} is unreachable: ${errorText(err)}`, database: where }, db: null };
  }
}

/** The server certificate's end date: a warning under CERT_WARN_DAYS, a failure once past. Never throws. */
export function checkCertificate(config: Config, now: number): Check {
  const file = config.server.tls?.cert_file;
  if (!file) return { status: 'skip', message: 'no api.server.tls.cert_file: plain HTTP' };
  let notAfter: number;
  try {
    notAfter = Date.parse(new X509Certificate(readFileSync(file)).validTo);
  } catch (err) {
    return { status: 'fail', message: `${file}: ${errorText(err)}`, file };
  }
  const daysLeft = Math.floor((notAfter - now) / DAY_MS);
  const facts = { file, not_after: rfc3339(notAfter), days_left: daysLeft };
  if (notAfter <= now) return { status: 'fail', message: `${file} expired on ${rfc3339(notAfter)}`, ...facts };
  const message = `${file} expires on ${rfc3339(notAfter)}, in ${daysLeft} day(s)`;
  return { status: daysLeft < CERT_WARN_DAYS ? 'warn' : 'ok', message, ...facts };
}

interface Seen {
  name: string;
  last: number | null;
  createdAt: number;
}

/** Stale: seen before `now − staleMs`, or never seen and created before it (as `prune` picks its candidates). */
function stale(rows: Seen[], staleMs: number, now: number): { name: string; last: string | null }[] {
  return rows
    .filter((r) => (r.last ?? r.createdAt) < now - staleMs)
    .map((r) => ({ name: r.name, last: r.last === null ? null : rfc3339(r.last) }));
}

function listed(rows: { name: string; last: string | null }[], never: string): string {
  const shown = rows.slice(0, 5).map((r) => (r.last === null ? `${r.name} (${never})` : r.name));
  return shown.join(', ') + (rows.length > 5 ? `, and ${rows.length - 5} more` : '');
}

/** Bouncers that have not pulled for `staleMs`. Revoked ones are left out and counted (they cannot pull). */
export async function checkBouncers(db: Db, staleMs: number, now: number): Promise<Check> {
  const all = await listBouncers(db);
  const revoked = all.filter((b) => b.revoked).map((b) => b.name);
  const rows = stale(
    all.filter((b) => !b.revoked).map((b) => ({ name: b.name, last: b.lastPull, createdAt: b.createdAt })),
    staleMs,
    now,
  );
  const within = formatGoDuration(staleMs);
  const note = revoked.length > 0 ? ` (${revoked.length} revoked, not checked)` : '';
  const facts = { stale_after: within, stale: rows, revoked };
  if (rows.length === 0)
    return { status: 'ok', message: `${all.length - revoked.length} bouncer(s), all pulled within ${within}${note}`, ...facts };
  return {
    status: 'warn',
    message: `${rows.length} bouncer(s) without a pull for ${within}: ${listed(rows, 'never pulled')}${note}`,
    ...facts,
  };
}

/** Validated machines without a heartbeat for `staleMs`; machines waiting for validation are left out and counted. */
export async function checkMachines(db: Db, staleMs: number, now: number): Promise<Check> {
  const all = await listMachines(db);
  const pending = all.filter((m) => !m.isValidated).map((m) => m.machineId);
  const rows = stale(
    all.filter((m) => m.isValidated).map((m) => ({ name: m.machineId, last: m.lastHeartbeat, createdAt: m.createdAt })),
    staleMs,
    now,
  );
  const within = formatGoDuration(staleMs);
  const note = pending.length > 0 ? ` (${pending.length} not validated, not checked)` : '';
  const facts = { stale_after: within, stale: rows, not_validated: pending };
  if (rows.length === 0)
    return { status: 'ok', message: `${all.length - pending.length} machine(s), all with a heartbeat within ${within}${note}`, ...facts };
  return {
    status: 'warn',
    message: `${rows.length} machine(s) without a heartbeat for ${within}: ${listed(rows, 'no heartbeat yet')}${note}`,
    ...facts,
  };
}
