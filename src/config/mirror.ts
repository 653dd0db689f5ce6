import { isMirrorFormat, MIRROR_FORMATS } from '../domain/mirror-formats.js';
import { ConfigError } from '../errors.js';
import { parseListen, parseRanges } from './check.js';
import type { MirrorAuth, MirrorConfig, MirrorEndpoint, RawConfig } from './schema.js';

type RawMirror = RawConfig['blocklist_mirror'];
type RawBlocklist = RawMirror['blocklists'][number];

const KEY = 'blocklist_mirror';
const AUTH_TYPES = ['basic', 'ip_based', 'none'];

/** One blocklist, with cs-blocklist-mirror's messages (pkg/cfg/config.go) after the key path. */
function parseEndpoint(b: RawBlocklist, i: number, seen: Set<string>): MirrorEndpoint {
  const key = `${KEY}.blocklists.${i}`;
  const fail = (sub: string, why: string) => new ConfigError(`config: ${key}.${sub}: ${why}`);
  if (seen.has(b.endpoint)) throw fail('endpoint', `${b.endpoint} endpoint used more than once`);
  seen.add(b.endpoint);
  // Go's ServeMux refuses a pattern that is not a path (upstream panics at start)
  if (!b.endpoint.startsWith('/')) throw fail('endpoint', `'${b.endpoint}' is not a path (it must start with /)`);
  if (!isMirrorFormat(b.format))
    throw fail('format', `${b.format} format is not supported. Supported formats are '${MIRROR_FORMATS.join(',')}'`);
  const a = b.authentication;
  const type = a.type.toLowerCase();
  if (type !== '' && !AUTH_TYPES.includes(type))
    throw fail(
      'authentication.type',
      `${a.type} authentication type is not supported. Supported authentication types are '${AUTH_TYPES.join(',')}'`,
    );
  let auth: MirrorAuth = { type: 'none' };
  if (type === 'basic') {
    // upstream would then accept `Basic Og==` (an empty user and password): Lapis refuses the config instead
    if (!a.user || !a.password) throw fail('authentication', 'basic authentication needs a user and a password');
    auth = { type: 'basic', user: a.user, password: a.password };
  } else if (type === 'ip_based') {
    // upstream parses them on every request and answers 500 when one is wrong: here the config fails
    auth = { type: 'ip_based', trustedIps: parseRanges(`${key}.authentication.trusted_ips`, a.trusted_ips) };
  }
  return { format: b.format, endpoint: b.endpoint, aggregate: b.aggregate, auth };
}

/** The stream parameters cs-blocklist-mirror sends LAPI for its filter keys (go-cs-bouncer's DecisionsStreamOpts). */
function streamQuery(c: RawMirror['crowdsec_config']): Record<string, string> {
  const q: Record<string, string> = {};
  const put = (name: string, list: string[]) => {
    if (list.length > 0) q[name] = list.join(',');
  };
  put('scopes', c.scopes);
  put('scenarios_containing', c.include_scenarios_containing);
  put('scenarios_not_containing', c.exclude_scenarios_containing);
  put('origins', c.only_include_decisions_from);
  return q;
}

const UNUSED = ['lapi_url', 'lapi_key', 'cert_path', 'key_path', 'ca_cert_path', 'insecure_skip_verify', 'update_frequency'] as const;
const UNUSED_TOP = [
  'config_version',
  'metrics',
  'enable_access_logs',
  'log_media',
  'log_dir',
  'log_level',
  'log_max_size',
  'log_max_age',
  'log_max_backups',
  'compress_logs',
] as const;

/** `blocklist_mirror`: null when it serves nothing, plus one warning naming the keys it accepted without effect. */
export function parseMirror(raw: RawMirror): { mirror: MirrorConfig | null; warnings: string[] } {
  const unused = [
    ...UNUSED.filter((k) => raw.crowdsec_config[k] !== undefined).map((k) => `crowdsec_config.${k}`),
    ...UNUSED_TOP.filter((k) => raw[k] !== undefined),
  ];
  const warnings =
    unused.length === 0
      ? []
      : [`${KEY}: ${unused.join(', ')} not used: the mirror is served from this instance's own decisions, metrics and logs`];
  if (raw.blocklists.length === 0) return { mirror: null, warnings };
  const seen = new Set<string>();
  const blocklists = raw.blocklists.map((b, i) => parseEndpoint(b, i, seen));
  const { cert_file, key_file } = raw.tls;
  // upstream serves plain HTTP when only one is set; a half-configured TLS is an error here
  if (Boolean(cert_file) !== Boolean(key_file))
    throw new ConfigError(`config: ${KEY}.tls.${cert_file ? 'key_file' : 'cert_file'}: required with the other one`);
  return {
    mirror: {
      listen: parseListen(`${KEY}.listen_uri`, raw.listen_uri),
      tls: cert_file && key_file ? { certFile: cert_file, keyFile: key_file } : null,
      blocklists,
      streamQuery: streamQuery(raw.crowdsec_config),
      supportedTypes: raw.crowdsec_config.supported_decisions_types,
    },
    warnings,
  };
}
