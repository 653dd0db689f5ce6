import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { DurationError, parseDuration } from '../domain/duration.js';
import { IpParseError, parseIpOrRange } from '../domain/ip-range.js';
import { ConfigSchema, type Config, type RawConfig } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadOptions {
  /** `-c FILE`; falls back on `LAPIS_CONFIG`, then on the embedded default. */
  path?: string | undefined;
  /** The environment (the only place Lapis reads it). */
  env?: NodeJS.ProcessEnv;
}

/** `${VAR}` expansion as upstream: an undefined variable is left as it is. */
export function expandEnv(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => env[name] ?? whole);
}

function readYaml(path: string, env: NodeJS.ProcessEnv): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`config: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(expandEnv(text, env), { uniqueKeys: false });
  } catch (err) {
    throw new ConfigError(`config: ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`config: ${path}: expected a YAML mapping`);
  return doc as Record<string, unknown>;
}

/** The `.local` overlay: maps merge key by key, anything else is replaced. */
export function mergeOverlay(base: unknown, over: unknown): unknown {
  if (isMap(base) && isMap(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = mergeOverlay(base[k], v);
    return out;
  }
  return over === undefined ? base : over;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function keyPath(pointer: string): string {
  return pointer.replace(/^\//, '').split('/').join('.');
}

function validate(raw: unknown): RawConfig {
  const withDefaults = Value.Default(ConfigSchema, raw);
  const first = Value.Errors(ConfigSchema, withDefaults).First();
  if (first) {
    const what = first.message === 'Unexpected property' ? 'unknown key' : first.message.toLowerCase();
    throw new ConfigError(`config: ${keyPath(first.path)}: ${what}`);
  }
  return withDefaults as RawConfig;
}

function parseListen(uri: string): { host: string; port: number } {
  const m = /^(.*):([^:\]]*)$/.exec(uri);
  const port = Number(m?.[2]);
  if (!m || m[2] === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`config: api.server.listen_uri: invalid port in '${uri}'`);
  }
  const host = m[1]!.replace(/^\[(.*)\]$/, '$1') || '0.0.0.0';
  return { host, port };
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

function checkDuration(key: string, value: string | undefined): void {
  if (value === undefined) return;
  try {
    parseDuration(value);
  } catch (err) {
    if (err instanceof DurationError) throw new ConfigError(`config: ${key}: ${err.message}`);
    throw err;
  }
}

function checkSemantics(raw: RawConfig, env: NodeJS.ProcessEnv): void {
  const server = raw.api.server;
  checkRanges('api.server.trusted_ips', server.trusted_ips);
  checkRanges('api.server.trusted_proxies', server.trusted_proxies ?? []);
  checkRanges('api.server.auto_registration.allowed_ranges', server.auto_registration.allowed_ranges);
  const auto = server.auto_registration;
  if (auto.enabled) {
    if ((auto.token ?? '').length < 32) throw new ConfigError('config: api.server.auto_registration.token: must be at least 32 characters');
    if (auto.allowed_ranges.length === 0) throw new ConfigError('config: api.server.auto_registration.allowed_ranges: required when auto_registration is enabled');
  }
  const flush = raw.db_config.flush;
  if (flush) {
    if (flush.max_items !== undefined && flush.max_items <= 0) throw new ConfigError("config: db_config.flush.max_items: max_items can't be zero or negative");
    checkDuration('db_config.flush.max_age', flush.max_age);
    checkDuration('db_config.flush.metrics_max_age', flush.metrics_max_age);
    for (const [k, v] of Object.entries(flush.bouncers_autodelete ?? {})) checkDuration(`db_config.flush.bouncers_autodelete.${k}`, v);
    for (const [k, v] of Object.entries(flush.agents_autodelete ?? {})) checkDuration(`db_config.flush.agents_autodelete.${k}`, v);
  }
  const secret = env.CS_LAPI_SECRET;
  if (secret && Buffer.byteLength(secret) < 64) throw new ConfigError('CS_LAPI_SECRET not strong enough');
}

/** Reads, expands, overlays, validates and freezes the configuration. Throws ConfigError naming the key. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const path = opts.path ?? (env.LAPIS_CONFIG || undefined);
  let doc: unknown = {};
  if (path !== undefined) {
    if (!existsSync(path)) throw new ConfigError(`config: ${path}: no such file`);
    doc = readYaml(path, env);
    if (existsSync(`${path}.local`)) doc = mergeOverlay(doc, readYaml(`${path}.local`, env));
  }
  const raw = validate(doc);
  checkSemantics(raw, env);
  const dataDir = resolve(raw.config_paths.data_dir ?? env.LAPIS_DATA_DIR ?? 'data');
  const config: Config = {
    source: path === undefined ? null : resolve(path),
    dataDir,
    listen: parseListen(raw.api.server.listen_uri),
    db: { ...raw.db_config, db_path: raw.db_config.db_path ?? join(dataDir, 'lapis.db') },
    server: raw.api.server,
    client: { ...raw.api.client, credentials_path: raw.api.client.credentials_path ?? join(dataDir, 'local_api_credentials.yaml') },
    prometheus: raw.prometheus,
    logLevel: raw.api.server.log_level ?? raw.common.log_level ?? 'info',
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
