import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseGoDuration } from '../domain/duration.js';
import { ConfigError } from '../errors.js';
import { checkSchema, checkSemantics, parseListen, parseMs, parseRanges, parseSslMode } from './check.js';
import { parseLogOutput } from './log.js';
import { parseMirror } from './mirror.js';
import { dropNulls, mergeOverlay } from './overlay.js';
import type { Config, DbTls, Limits, MetricsLevel, RawConfig, Retention } from './schema.js';
import { readYaml } from './yaml.js';

export interface LoadOptions {
  /** `-c FILE`; falls back on `LAPIS_CONFIG`, then on the embedded default. */
  path?: string | undefined;
  /** The environment (the only place Lapis reads it). */
  env?: NodeJS.ProcessEnv;
}

/** `api.server.limits`: positive Go durations as milliseconds, and the connection cap resolved. */
function parseLimits(raw: RawConfig['api']['server']['limits']): Limits {
  const ms = (key: keyof typeof raw & string, value: string): number => {
    const n = parseMs(`api.server.limits.${key}`, value, parseGoDuration)!;
    if (n <= 0) throw new ConfigError(`config: api.server.limits.${key}: must be a positive duration`);
    return n;
  };
  return {
    readHeaderTimeoutMs: ms('read_header_timeout', raw.read_header_timeout),
    readTimeoutMs: ms('read_timeout', raw.read_timeout),
    idleTimeoutMs: ms('idle_timeout', raw.idle_timeout),
    maxConnections: raw.max_connections || defaultMaxConnections(),
    maxInflightBodyBytes: raw.max_inflight_body_bytes,
    loginFailuresAllowed: raw.login_failures_allowed,
    loginBackoffMaxMs: ms('login_backoff_max', raw.login_backoff_max),
  };
}

/**
 * 4096 connections per listener, or fewer when the process may open fewer files (systemd's default soft
 * limit is 1024): running out of descriptors would also stop the store and the logs.
 */
function defaultMaxConnections(): number {
  let soft = Infinity;
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) soft = Number(m[1]);
  } catch {
    // not Linux: the default stands
  }
  return Math.max(64, Math.min(4096, Math.floor((soft - 128) / 2)));
}

const WEEK_MS = 7 * 86_400_000;

function parseRetention(flush: RawConfig['db_config']['flush']): Retention {
  const key = 'db_config.flush';
  const b = flush?.bouncers_autodelete ?? {};
  const a = flush?.agents_autodelete ?? {};
  // checked like the others, though unused (a warning says so)
  parseMs(`${key}.bouncers_autodelete.login_password`, b.login_password);
  parseMs(`${key}.agents_autodelete.api_key`, a.api_key);
  return {
    alerts: flush ? { maxAgeMs: parseMs(`${key}.max_age`, flush.max_age), maxItems: flush.max_items ?? null } : null,
    metricsMaxAgeMs: parseMs(`${key}.metrics_max_age`, flush?.metrics_max_age) ?? WEEK_MS,
    bouncersAutodeleteMs: {
      cert: parseMs(`${key}.bouncers_autodelete.cert`, b.cert),
      apiKey: parseMs(`${key}.bouncers_autodelete.api_key`, b.api_key),
    },
    agentsAutodeleteMs: {
      cert: parseMs(`${key}.agents_autodelete.cert`, a.cert),
      password: parseMs(`${key}.agents_autodelete.login_password`, a.login_password),
    },
  };
}

function parseDbTls(db: RawConfig['db_config']): DbTls | null {
  const mode = parseSslMode(db);
  if (mode === 'disable') return null;
  return { mode, caFile: db.ssl_ca_cert || undefined, certFile: db.ssl_client_cert || undefined, keyFile: db.ssl_client_key || undefined };
}

/** Keys upstream acts on and Lapis accepts without acting on them (docs/compatibility.md, "Configuration keys"). */
function ignoredKeyWarnings(raw: RawConfig): string[] {
  const out: string[] = [];
  const flush = raw.db_config.flush;
  if (raw.db_config.decision_bulk_size !== undefined)
    out.push('db_config.decision_bulk_size is not used: Lapis inserts decisions 1000 rows per statement');
  if (raw.api.client.unregister_on_exit)
    out.push('api.client.unregister_on_exit is not used: it is for an agent, which deletes its own machine when it stops');
  if (flush?.bouncers_autodelete?.login_password !== undefined)
    out.push('db_config.flush.bouncers_autodelete.login_password is not used: bouncers do not log in with a password');
  if (flush?.agents_autodelete?.api_key !== undefined)
    out.push('db_config.flush.agents_autodelete.api_key is not used: machines do not use API keys');
  return out;
}

/** The file, then its `.local` overlay (upstream's order), or {} for the embedded default. */
function readDocument(path: string | undefined, env: NodeJS.ProcessEnv): unknown {
  if (path === undefined) return {};
  if (!existsSync(path)) throw new ConfigError(`config: ${path}: no such file`);
  const doc = readYaml(path, env);
  const local = `${path}.local`;
  return existsSync(local) ? mergeOverlay(doc, readYaml(local, env), local) : doc;
}

/** Reads, expands, overlays, validates, parses and freezes the configuration. Throws ConfigError naming the key. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const path = opts.path ?? (env.LAPIS_CONFIG || undefined);
  const raw = checkSchema(dropNulls(readDocument(path, env)));
  checkSemantics(raw, env);
  const server = raw.api.server;
  const dataDir = resolve(raw.config_paths.data_dir ?? env.LAPIS_DATA_DIR ?? 'data');
  const db = raw.db_config;
  const mirror = parseMirror(raw.blocklist_mirror);
  const log = parseLogOutput(raw.common);
  const config: Config = {
    source: path === undefined ? null : resolve(path),
    dataDir,
    listen: parseListen('api.server.listen_uri', server.listen_uri),
    db: {
      ...db,
      db_path: db.db_path ?? join(dataDir, 'lapis.db'),
      // as upstream: 0 means the default
      max_open_conns: db.max_open_conns || 100,
      tls: parseDbTls(db),
    },
    server,
    admin: {
      enabled: raw.api.admin.enabled,
      listen: parseListen('api.admin.listen_uri', raw.api.admin.listen_uri),
      organizationId: raw.api.admin.organization_id || undefined,
      lapiFilter: {
        origins: raw.api.admin.lapi_blocklist.only_include_decisions_from,
        scenariosContaining: raw.api.admin.lapi_blocklist.include_scenarios_containing,
        scenariosNotContaining: raw.api.admin.lapi_blocklist.exclude_scenarios_containing,
        types: raw.api.admin.lapi_blocklist.supported_decisions_types,
      },
      feeds: {
        refreshMs: parseMs('api.admin.feeds.refresh_interval', raw.api.admin.feeds.refresh_interval, parseGoDuration)!,
        maxBytes: raw.api.admin.feeds.max_bytes,
        maxEntries: raw.api.admin.feeds.max_entries,
        timeoutMs: parseMs('api.admin.feeds.timeout', raw.api.admin.feeds.timeout, parseGoDuration)!,
      },
    },
    client: { ...raw.api.client, credentials_path: raw.api.client.credentials_path ?? join(dataDir, 'local_api_credentials.yaml') },
    prometheus: {
      enabled: raw.prometheus.enabled,
      level: raw.prometheus.level as MetricsLevel,
      listen_addr: raw.prometheus.listen_addr,
      listen_port: raw.prometheus.listen_port,
      trustedIps: parseRanges('prometheus.trusted_ips', raw.prometheus.trusted_ips),
    },
    logLevel: server.log_level ?? raw.common.log_level ?? 'info',
    log: log.output,
    notificationDir: raw.config_paths.notification_dir,
    limits: parseLimits(server.limits),
    jwtSecret: env.CS_LAPI_SECRET || null,
    trustedIps: parseRanges('api.server.trusted_ips', server.trusted_ips),
    autoRegistrationRanges: parseRanges('api.server.auto_registration.allowed_ranges', server.auto_registration.allowed_ranges),
    // a plain Go time.Duration upstream: no day count
    tlsCacheMs: parseMs('api.server.tls.cache_expiration', server.tls?.cache_expiration, parseGoDuration) ?? 3_600_000,
    retention: parseRetention(db.flush),
    mirror: mirror.mirror,
    warnings: [...ignoredKeyWarnings(raw), ...log.warnings, ...mirror.warnings],
  };
  return deepFreeze(config);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
