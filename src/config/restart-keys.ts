import { dirname } from 'node:path';
import type { Config } from './schema.js';

/**
 * What a reload (SIGHUP) cannot apply, keyed by the YAML key an operator edits. Left out: what a reload
 * re-reads (api.server.profiles_path, config_paths.notification_dir, the files and OUs of api.server.tls,
 * blocklist_mirror.tls's files, the log level) and api.client, which `serve` does not use. Whether the
 * listeners speak TLS at all, and how they ask for client certificates, are fixed when they start.
 */
function restartView(c: Config): Record<string, unknown> {
  const { profiles_path: _p, log_level: _l, tls, ...server } = c.server;
  // db.tls is parsed from the ssl* keys, listed on their own
  const { tls: _dbTls, ...db } = c.db;
  const mirror = c.mirror && { ...c.mirror, tls: c.mirror.tls !== null };
  // the log file is opened once, when serve starts
  const file = c.log.media === 'file' ? c.log : undefined;
  return {
    'common.log_media': c.log.media,
    'common.log_dir': file && dirname(file.path),
    'common.log_max_size': file?.maxSizeMb,
    'common.log_max_files': file?.maxFiles,
    'common.log_max_age': file?.maxAgeDays,
    'common.compress_logs': file?.compress,
    'config_paths.data_dir': c.dataDir,
    ...prefixed('db_config', db),
    ...prefixed('api.server', server),
    'api.server.tls': tls !== undefined,
    // set or not: HTTPS or plain HTTP (the path itself is re-read)
    'api.server.tls.cert_file': Boolean(tls?.cert_file || tls?.key_file),
    'api.server.tls.client_verification': tls?.client_verification,
    'api.admin.enabled': c.admin.enabled,
    'api.admin.listen_uri': c.admin.listen,
    'api.admin.organization_id': c.admin.organizationId,
    'api.admin.lapi_blocklist': c.admin.lapiFilter,
    'api.admin.feeds': c.admin.feeds,
    ...prefixed('prometheus', c.prometheus),
    blocklist_mirror: mirror,
  };
}

function prefixed(prefix: string, o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [`${prefix}.${k}`, v]));
}

// parsed IP ranges hold bigints
const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) ?? 'undefined';

/** The keys whose value differs between `running` and `next` and that only a restart applies, in file order. */
export function restartKeys(running: Config, next: Config): string[] {
  const a = restartView(running);
  const b = restartView(next);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.filter((k) => json(a[k]) !== json(b[k]));
}
