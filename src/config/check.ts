import { Value, ValueErrorType } from '@sinclair/typebox/value';
import { DurationError, parseDuration } from '../domain/duration.js';
import { IpParseError, parseIpOrRange, type IpRange } from '../domain/ip-range.js';
import { ConfigError } from '../errors.js';
import { pinoLevel } from '../logger.js';
import { CLIENT_VERIFICATIONS, ConfigSchema, METRICS_LEVELS, type DbSslMode, type RawConfig } from './schema.js';

/**
 * The checks and value parsers of config loading. Each throws a ConfigError that names the key path,
 * and each parser returns the parsed value, so that nothing is parsed again where it is used.
 */

function keyPath(pointer: string): string {
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

/** Applies the schema's defaults and checks types and unknown keys (the first error only, as upstream). */
export function checkSchema(doc: unknown): RawConfig {
  const withDefaults = Value.Default(ConfigSchema, doc);
  const first = Value.Errors(ConfigSchema, withDefaults).First();
  if (first) {
    const key = keyPath(first.path);
    if (key === 'db_config.type') {
      throw new ConfigError(`config: db_config.type: unknown database type '${String(first.value)}'`);
    }
    const what = first.type === ValueErrorType.ObjectAdditionalProperties ? 'unknown key' : first.message.toLowerCase();
    throw new ConfigError(`config: ${key}: ${what}`);
  }
  return withDefaults as RawConfig;
}

/** `host:port` as Go's net.SplitHostPort reads it; the port must be a decimal number up to 65535. */
export function parseListen(key: string, uri: string): { host: string; port: number } {
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

export function parseRanges(key: string, values: readonly string[]): IpRange[] {
  return values.map((v) => {
    try {
      return parseIpOrRange(v);
    } catch (err) {
      if (err instanceof IpParseError) throw new ConfigError(`config: ${key}: ${err.message}`);
      throw err;
    }
  });
}

/**
 * A duration in whole milliseconds (null when unset): upstream's days-allowed form by default, `parseGoDuration`
 * for plain Go time.Duration keys. Whole, because Go durations reach nanoseconds and the columns do not.
 */
export function parseMs(key: string, value: string | undefined, parse: (s: string) => number = parseDuration): number | null {
  if (value === undefined) return null;
  try {
    return Math.round(parse(value));
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
  const mode = tls.client_verification;
  if (mode && !(CLIENT_VERIFICATIONS as readonly string[]).includes(mode)) {
    throw new ConfigError(`config: api.server.tls.client_verification: unknown TLS client_verification value: ${mode}`);
  }
  for (const key of ['agents_allowed_ou', 'bouncers_allowed_ou'] as const) {
    if (tls[key].includes(''))
      throw new ConfigError(`config: api.server.tls.${key}: allowed_ou configuration contains invalid empty string`);
  }
}

/**
 * `db_config.sslmode`: libpq's names, and the Go MySQL driver's `tls` values (upstream passes sslmode to it
 * for MySQL). The modes that fall back to plaintext are refused: neither node driver can fall back.
 */
const SSL_MODES: Record<string, DbSslMode | 'disable'> = {
  disable: 'disable',
  false: 'disable',
  require: 'require',
  'skip-verify': 'require',
  'verify-ca': 'verify-ca',
  'verify-full': 'verify-full',
  true: 'verify-full',
};

/** The TLS mode `db_config` asks for, or 'disable'. Unset means disable, unlike libpq's `prefer`. */
export function parseSslMode(db: RawConfig['db_config']): DbSslMode | 'disable' {
  const given = db.sslmode;
  const mode = given === undefined || given === '' ? 'disable' : SSL_MODES[given];
  if (mode === undefined) {
    const why = ['allow', 'prefer', 'preferred'].includes(given!) ? 'falls back to plaintext, which Lapis does not do' : 'is unknown';
    throw new ConfigError(
      `config: db_config.sslmode: '${given}' ${why}: use disable, require, verify-ca or verify-full (or MySQL's false, skip-verify, true)`,
    );
  }
  if (db.type === 'sqlite') return 'disable';
  if (mode === 'disable') {
    for (const k of ['ssl_ca_cert', 'ssl_client_cert', 'ssl_client_key'] as const) {
      if (db[k]) throw new ConfigError(`config: db_config.${k}: set, but sslmode is disable: use require, verify-ca or verify-full`);
    }
  }
  if (Boolean(db.ssl_client_cert) !== Boolean(db.ssl_client_key)) {
    throw new ConfigError(`config: db_config.${db.ssl_client_cert ? 'ssl_client_key' : 'ssl_client_cert'}: required with the other one`);
  }
  return mode;
}

/** Linux's sun_path holds 108 bytes, the terminating NUL included. */
const MAX_SOCKET_PATH = 107;

/** What the types alone do not say; values that are parsed (durations, ranges, listeners) are checked by their parser. */
export function checkSemantics(raw: RawConfig, env: NodeJS.ProcessEnv): void {
  const server = raw.api.server;
  checkLogLevel('common.log_level', raw.common.log_level);
  checkLogLevel('api.server.log_level', server.log_level);
  checkLogLevel('api.server.papi_log_level', server.papi_log_level);
  checkLogLevel('db_config.log_level', raw.db_config.log_level);
  parseRanges('api.server.trusted_proxies', server.trusted_proxies ?? []);
  checkTls(server.tls);
  const auto = server.auto_registration;
  if (auto.enabled) {
    // Go's len(): bytes.
    if (Buffer.byteLength(auto.token ?? '') < 32)
      throw new ConfigError('config: api.server.auto_registration.token: must be at least 32 characters');
    if (auto.allowed_ranges.length === 0)
      throw new ConfigError('config: api.server.auto_registration.allowed_ranges: required when auto_registration is enabled');
  }
  const socket = server.listen_socket;
  if (socket !== undefined && (socket === '' || Buffer.byteLength(socket) > MAX_SOCKET_PATH)) {
    throw new ConfigError(`config: api.server.listen_socket: ${socket === '' ? 'empty path' : `longer than ${MAX_SOCKET_PATH} bytes`}`);
  }
  const flush = raw.db_config.flush;
  if (flush?.max_items !== undefined && flush.max_items <= 0)
    throw new ConfigError("config: db_config.flush.max_items: max_items can't be zero or negative");
  const level = raw.prometheus.level;
  if (!(METRICS_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(`config: prometheus.level: unknown level '${level}' (full, aggregated or none)`);
  }
  const secret = env.CS_LAPI_SECRET;
  if (secret && Buffer.byteLength(secret) < 64) throw new ConfigError('CS_LAPI_SECRET not strong enough');
}
