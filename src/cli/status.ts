import type { Config } from '../config/schema.js';
import { durationFlag, type LeafCommand } from './args.js';
import { CliError, requireLapi } from './context.js';
import {
  type Check,
  type CheckStatus,
  checkBouncers,
  checkCertificate,
  checkDatabase,
  checkMachines,
  checkServer,
} from './status-checks.js';

/** cscli's machines list marks a heartbeat older than 2 minutes (agents send one every 10 seconds). */
export const DEFAULT_MACHINE_STALE_MS = 2 * 60_000;
/** `bouncers prune`'s default: a stream bouncer pulls every 10 seconds, a live one every request. */
export const DEFAULT_BOUNCER_STALE_MS = 60 * 60_000;

export interface StatusOptions {
  bouncerStaleMs: number;
  machineStaleMs: number;
  now?: number;
}

export interface StatusReport {
  /** fail when any check failed, else warn when any warned, else ok. */
  status: Exclude<CheckStatus, 'skip'>;
  checks: { server: Check; database: Check; certificate: Check; bouncers: Check; machines: Check };
}

/**
 * `lapis status`: is the server up, the store reachable and migrated (nothing applied), the server certificate
 * far from its end, and are bouncers pulling and machines sending heartbeats. Never throws for a failed check:
 * the report says it.
 */
export async function status(config: Config, opts: StatusOptions): Promise<StatusReport> {
  const now = opts.now ?? Date.now();
  const [server, { check: database, db }] = await Promise.all([checkServer(config), checkDatabase(config)]);
  const unavailable: Check = { status: 'skip', message: 'not checked: the database is unavailable' };
  let bouncers = unavailable;
  let machines = unavailable;
  if (db) {
    try {
      // a store with pending migrations may lack the columns these read
      if (database.status === 'ok') {
        bouncers = await checkBouncers(db, opts.bouncerStaleMs, now);
        machines = await checkMachines(db, opts.machineStaleMs, now);
      }
    } finally {
      await db.destroy();
    }
  }
  const checks = { server, database, certificate: checkCertificate(config, now), bouncers, machines };
  const all = Object.values(checks).map((c) => c.status);
  return { status: all.includes('fail') ? 'fail' : all.includes('warn') ? 'warn' : 'ok', checks };
}

const LABEL: Record<CheckStatus, string> = { ok: 'OK', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };

export const statusCommand: LeafCommand = {
  name: 'status',
  summary: 'Check the Local API: server, database, certificate, bouncers, machines',
  description:
    'Check that the Local API answers, that its database is reachable and migrated, how long its certificate has left, ' +
    'and which bouncers stopped pulling and machines stopped sending heartbeats.\n' +
    'Exit code 1 when a check fails (server down, database unreachable or not migrated, certificate expired); warnings alone exit 0.',
  examples: ['lapis status', 'lapis status --machine-stale 10m -o json'],
  args: { min: 0, max: 0 },
  flags: {
    'bouncer-stale': {
      type: 'string',
      valueName: 'duration',
      description: 'warn about bouncers whose last pull is older than this',
      defaultText: '1h0m0s',
    },
    'machine-stale': {
      type: 'string',
      valueName: 'duration',
      description: 'warn about validated machines whose last heartbeat is older than this',
      defaultText: '2m0s',
    },
  },
  async run(ctx, _args, flags) {
    const config = ctx.config();
    requireLapi(config);
    const report = await status(config, {
      bouncerStaleMs: durationFlag(flags, 'bouncer-stale', undefined, DEFAULT_BOUNCER_STALE_MS),
      machineStaleMs: durationFlag(flags, 'machine-stale', undefined, DEFAULT_MACHINE_STALE_MS),
    });
    if (ctx.out.format === 'json') ctx.out.json(report);
    else
      for (const [name, c] of Object.entries(report.checks)) ctx.out.line(`${LABEL[c.status].padEnd(4)} ${name.padEnd(11)} ${c.message}`);
    const failed = Object.entries(report.checks).filter(([, c]) => c.status === 'fail');
    if (failed.length > 0) throw new CliError(`${failed.length} check(s) failed: ${failed.map(([name]) => name).join(', ')}`);
  },
};
