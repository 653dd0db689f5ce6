import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { isMap as isYamlMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import { DurationError, parseDuration, parseGoDuration } from '../domain/duration.js';
import { IpParseError, parseIpOrRange } from '../domain/ip-range.js';
import { pinoLevel } from '../logger.js';
import { CLIENT_VERIFICATIONS, ConfigSchema, type Config, type Limits, type RawConfig } from './schema.js';
import { InvalidValueError } from '../errors.js';

export class ConfigError extends InvalidValueError {
  override name = 'ConfigError';
}

export interface LoadOptions {
  /** `-c FILE`; falls back on `LAPIS_CONFIG`, then on the embedded default. */
  path?: string | undefined;
  /** The environment (the only place Lapis reads it). */
  env?: NodeJS.ProcessEnv;
}

/**
 * `${VAR}` and `$VAR` expansion as upstream (go-cs-lib csstring.StrictExpand): an undefined variable is left
 * as it is, a defined empty one expands to nothing. Unlike upstream, an expanded value is not scanned again.
 */
export function expandEnv(text: string, env: NodeJS.ProcessEnv): string {
  const lookup = (name: string) => (Object.hasOwn(env, name) ? env[name] : undefined);
  let s = text;
  for (let i = 0; i < s.length - 1; i++) {
    if (s[i] !== '$') continue;
    let end: number; // index just past the reference
    let name: string;
    if (s[i + 1] === '{') {
      const close = s.indexOf('}', i + 2);
      if (close < 0) continue;
      name = s.slice(i + 2, close);
      end = close + 1;
    } else {
      end = i + 1;
      while (end < s.length && /[A-Za-z0-9_]/.test(s[end]!)) end++;
      if (end === i + 1) continue;
      name = s.slice(i + 1, end);
    }
    const value = lookup(name);
    if (value === undefined) continue;
    s = s.slice(0, i) + value + s.slice(end);
    i += value.length - 1;
  }
  return s;
}

type SchemaNode = TSchema & { type?: string; properties?: Record<string, TSchema>; items?: TSchema; anyOf?: SchemaNode[] };

/** YAML 1.1 booleans, which yaml.v3 still accepts when it decodes into a bool field. */
const YAML11_BOOLS: Record<string, boolean> = Object.fromEntries([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON'].map((w) => [w, true]),
  ...['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'].map((w) => [w, false]),
]);

function isStringSchema(schema: SchemaNode): boolean {
  return schema.type === 'string' || (schema.anyOf?.length !== undefined && schema.anyOf.every((s) => s.type === 'string'));
}

/**
 * Reads scalars the way upstream's yaml.v3 decodes them into typed fields: any scalar into a string
 * field is its text as written (`password: 0123` is "0123", not 123), and `yes`/`off`… into a bool field.
 */
function coerceScalars(node: unknown, schema: SchemaNode | undefined): void {
  if (!schema) return;
  if (isYamlMap(node) && schema.type === 'object') {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof key === 'string' && schema.properties && Object.hasOwn(schema.properties, key)) {
        coerceScalars(pair.value, schema.properties[key] as SchemaNode);
      }
    }
  } else if (isSeq(node) && schema.type === 'array') {
    for (const item of node.items) coerceScalars(item, schema.items as SchemaNode | undefined);
  } else if (isScalar(node)) {
    if (isStringSchema(schema) && node.value !== null && typeof node.value !== 'string') {
      node.value = node.source ?? String(node.value);
    } else if (schema.type === 'boolean' && typeof node.value === 'string' && Object.hasOwn(YAML11_BOOLS, node.value)) {
      node.value = YAML11_BOOLS[node.value];
    }
  }
}

function readYaml(path: string, env: NodeJS.ProcessEnv): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`config: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const yamlError = (err: Error) => new ConfigError(`config: ${path}: ${err.message.split('\n')[0]!.replace(/:$/, '')}`);
  // Duplicate keys are an error, as in yaml.v3. As its decoder, only the first document counts.
  const docs = parseAllDocuments(expandEnv(text, env));
  const doc = Array.isArray(docs) ? docs[0] : undefined;
  if (!doc) return {};
  if (doc.errors[0]) throw yamlError(doc.errors[0]);
  coerceScalars(doc.contents, ConfigSchema as SchemaNode);
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    throw yamlError(err as Error);
  }
  if (value === null || value === undefined) return {};
  if (!isMap(value)) throw new ConfigError(`config: ${path}: expected a YAML mapping`);
  return value;
}

function kindOf(v: unknown): 'mapping' | 'sequence' | 'scalar' {
  return isMap(v) ? 'mapping' : Array.isArray(v) ? 'sequence' : 'scalar';
}

function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function mergeAt(base: unknown, over: unknown, at: string[]): unknown {
  if (over === undefined) return base;
  if (base === undefined || base === null || over === null) return over;
  if (isMap(base) && isMap(over)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(base)) setOwn(out, k, v);
    for (const [k, v] of Object.entries(over)) setOwn(out, k, mergeAt(Object.hasOwn(base, k) ? base[k] : undefined, v, [...at, k]));
    return out;
  }
  const [kb, ko] = [kindOf(base), kindOf(over)];
  if (kb === ko) return over;
  throw new ConfigError(`config: ${at.join('.')}: can't merge a ${ko} into a ${kb}`);
}

/**
 * The `.local` overlay, as upstream's csyaml.Merge: maps merge key by key, lists and scalars are replaced,
 * null replaces anything, and a map, list or scalar over another kind is a ConfigError.
 */
export function mergeOverlay(base: unknown, over: unknown): unknown {
  return mergeAt(base, over, []);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A key set to null (`key:` with nothing after it) counts as absent. */
function dropNulls(v: unknown): unknown {
  if (!isMap(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) setOwn(out, k, dropNulls(x));
  return out;
}

function keyPath(pointer: string): string {
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function validate(raw: unknown): RawConfig {
  const withDefaults = Value.Default(ConfigSchema, raw);
  const first = Value.Errors(ConfigSchema, withDefaults).First();
  if (first) {
    const key = keyPath(first.path);
    if (key === 'db_config.type') {
      throw new ConfigError(`config: db_config.type: unknown database type '${String(first.value)}'`);
    }
    const what = first.message === 'Unexpected property' ? 'unknown key' : first.message.toLowerCase();
    throw new ConfigError(`config: ${key}: ${what}`);
  }
  return withDefaults as RawConfig;
}

/** `host:port` as Go's net.SplitHostPort reads it; the port must be a decimal number up to 65535. */
function parseListen(uri: string, key = 'api.server.listen_uri'): { host: string; port: number } {
  const fail = (why: string) => new ConfigError(`config: ${key}: ${why} in '${uri}'`);
  const colon = uri.lastIndexOf(':');
  if (colon < 0) throw fail('missing port');
  let host = uri.slice(0, colon);
  const portText = uri.slice(colon + 1);
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) throw fail("missing ']'");
    host = host.slice(1, -1);
  } else if (host.includes(':')) {
    throw fail('too many colons');
  }
  const port = Number(portText);
  if (!/^[0-9]+$/.test(portText) || port > 65535) throw fail('invalid port');
  return { host: host || '0.0.0.0', port };
}

function checkRanges(key: string, values: readonly string[]): void {
  for (const v of values) {
    try {
      parseIpOrRange(v);
    } catch (err) {
      if (err instanceof IpParseError) throw new ConfigError(`config: ${key}: ${err.message}`);
      throw err;
    }
  }
}

function checkDuration(key: string, value: string | undefined, parse: (s: string) => number = parseDuration): void {
  if (value === undefined) return;
  try {
    parse(value);
  } catch (err) {
    if (err instanceof DurationError) throw new ConfigError(`config: ${key}: ${err.message}`);
    throw err;
  }
}

/** logrus level names (logrus.ParseLevel, case-insensitive), as upstream's `log.Level` fields. */
function checkLogLevel(key: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || pinoLevel(value) === undefined) {
    throw new ConfigError(`config: ${key}: not a valid logrus Level: ${JSON.stringify(String(value))}`);
  }
}

function checkTls(tls: RawConfig['api']['server']['tls']): void {
  if (!tls) return;
  // A plain Go time.Duration upstream: no day count.
  checkDuration('api.server.tls.cache_expiration', tls.cache_expiration, parseGoDuration);
  const mode = tls.client_verification;
  if (mode && !(CLIENT_VERIFICATIONS as readonly string[]).includes(mode)) {
    throw new ConfigError(`config: api.server.tls.client_verification: unknown TLS client_verification value: ${mode}`);
  }
  for (const key of ['agents_allowed_ou', 'bouncers_allowed_ou'] as const) {
    if (tls[key].includes(''))
      throw new ConfigError(`config: api.server.tls.${key}: allowed_ou configuration contains invalid empty string`);
  }
}

function checkSemantics(raw: RawConfig, env: NodeJS.ProcessEnv): void {
  const server = raw.api.server;
  checkLogLevel('common.log_level', raw.common.log_level);
  checkLogLevel('api.server.log_level', server.log_level);
  checkLogLevel('api.server.papi_log_level', server.papi_log_level);
  checkLogLevel('db_config.log_level', raw.db_config.log_level);
  checkRanges('api.server.trusted_ips', server.trusted_ips);
  checkRanges('api.server.trusted_proxies', server.trusted_proxies ?? []);
  checkRanges('api.server.auto_registration.allowed_ranges', server.auto_registration.allowed_ranges);
  checkTls(server.tls);
  const auto = server.auto_registration;
  if (auto.enabled) {
    // Go's len(): bytes.
    if (Buffer.byteLength(auto.token ?? '') < 32)
      throw new ConfigError('config: api.server.auto_registration.token: must be at least 32 characters');
    if (auto.allowed_ranges.length === 0)
      throw new ConfigError('config: api.server.auto_registration.allowed_ranges: required when auto_registration is enabled');
  }
  const flush = raw.db_config.flush;
  if (flush) {
    if (flush.max_items !== undefined && flush.max_items <= 0)
      throw new ConfigError("config: db_config.flush.max_items: max_items can't be zero or negative");
    checkDuration('db_config.flush.max_age', flush.max_age);
    checkDuration('db_config.flush.metrics_max_age', flush.metrics_max_age);
    for (const [k, v] of Object.entries(flush.bouncers_autodelete ?? {})) checkDuration(`db_config.flush.bouncers_autodelete.${k}`, v);
    for (const [k, v] of Object.entries(flush.agents_autodelete ?? {})) checkDuration(`db_config.flush.agents_autodelete.${k}`, v);
  }
  const secret = env.CS_LAPI_SECRET;
  if (secret && Buffer.byteLength(secret) < 64) throw new ConfigError('CS_LAPI_SECRET not strong enough');
}

/** `api.server.limits`: positive Go durations as milliseconds, and the connection cap resolved. */
function parseLimits(raw: RawConfig['api']['server']['limits']): Limits {
  const ms = (key: keyof typeof raw & string, value: string): number => {
    let n: number;
    try {
      n = parseGoDuration(value);
    } catch (err) {
      if (err instanceof DurationError) throw new ConfigError(`config: api.server.limits.${key}: ${err.message}`);
      throw err;
    }
    if (n <= 0) throw new ConfigError(`config: api.server.limits.${key}: must be a positive duration`);
    return Math.round(n);
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

/** Reads, expands, overlays, validates and freezes the configuration. Throws ConfigError naming the key. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const path = opts.path ?? (env.LAPIS_CONFIG || undefined);
  let doc: unknown = {};
  if (path !== undefined) {
    if (!existsSync(path)) throw new ConfigError(`config: ${path}: no such file`);
    doc = readYaml(path, env);
    const local = `${path}.local`;
    if (existsSync(local)) {
      try {
        doc = mergeOverlay(doc, readYaml(local, env));
      } catch (err) {
        if (err instanceof ConfigError && !err.message.includes(local)) {
          throw new ConfigError(err.message.replace(/^config: /, `config: ${local}: `));
        }
        throw err;
      }
    }
  }
  const raw = validate(dropNulls(doc));
  checkSemantics(raw, env);
  const dataDir = resolve(raw.config_paths.data_dir ?? env.LAPIS_DATA_DIR ?? 'data');
  const db = raw.db_config;
  const config: Config = {
    source: path === undefined ? null : resolve(path),
    dataDir,
    listen: parseListen(raw.api.server.listen_uri),
    db: {
      ...db,
      db_path: db.db_path ?? join(dataDir, 'lapis.db'),
      // As upstream: 0 means the default, and a bulk size above 2000 is capped.
      max_open_conns: db.max_open_conns || 100,
      decision_bulk_size: Math.min(db.decision_bulk_size || 1000, 2000),
    },
    server: raw.api.server,
    admin: {
      enabled: raw.api.admin.enabled,
      listen: parseListen(raw.api.admin.listen_uri, 'api.admin.listen_uri'),
      organizationId: raw.api.admin.organization_id || undefined,
    },
    client: { ...raw.api.client, credentials_path: raw.api.client.credentials_path ?? join(dataDir, 'local_api_credentials.yaml') },
    prometheus: raw.prometheus,
    logLevel: raw.api.server.log_level ?? raw.common.log_level ?? 'info',
    notificationDir: raw.config_paths.notification_dir,
    limits: parseLimits(raw.api.server.limits),
    jwtSecret: env.CS_LAPI_SECRET || null,
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
