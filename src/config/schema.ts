import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { LapiListFilter } from '../domain/blocklist.js';
import type { IpRange } from '../domain/ip-range.js';
import type { MirrorFormat } from '../domain/mirror-formats.js';

/**
 * CrowdSec's config.yaml, restricted to what a Local API reads, with defaults beside the keys.
 * Sections that only concern the agent or cscli (`crowdsec_service`, `cscli`, `plugin_config`…) are
 * accepted so that an upstream config.yaml loads, and are ignored. Any other unknown key is an error.
 */
const Section = <T extends Record<string, TSchema>>(props: T) => Type.Object(props, { additionalProperties: false, default: {} });
const Str = (def?: string) => (def === undefined ? Type.Optional(Type.String()) : Type.String({ default: def }));
const Bool = (def: boolean) => Type.Boolean({ default: def });
const StrList = () => Type.Array(Type.String(), { default: [] });
/** Upstream accepts both `10m` strings and plain numbers for some sizes and counts; we keep strings for durations. */
const Duration = () => Type.Optional(Type.String());
const Ignored = Type.Optional(Type.Unknown());

const AutoDelete = (keys: string[]) =>
  Section(Object.fromEntries(keys.map((k) => [k, Duration()])) as Record<string, ReturnType<typeof Duration>>);

export const FlushSchema = Type.Object(
  {
    max_items: Type.Optional(Type.Integer()),
    max_age: Duration(),
    metrics_max_age: Duration(),
    bouncers_autodelete: Type.Optional(AutoDelete(['cert', 'api_key', 'login_password'])),
    agents_autodelete: Type.Optional(AutoDelete(['cert', 'login_password', 'api_key'])),
  },
  { additionalProperties: false },
);

export const DbConfigSchema = Section({
  type: Type.Union(
    ['sqlite', 'mysql', 'postgres', 'postgresql', 'pgx'].map((t) => Type.Literal(t)),
    { default: 'sqlite' },
  ),
  db_path: Str(),
  user: Str(),
  password: Str(),
  db_name: Str(),
  host: Str(),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  sslmode: Str(),
  ssl_ca_cert: Str(),
  ssl_client_cert: Str(),
  ssl_client_key: Str(),
  /** 0 means the default, as upstream. */
  max_open_conns: Type.Integer({ minimum: 0, default: 100 }),
  /** SQLite: WAL when true or unset, the rollback journal (DELETE) when false. */
  use_wal: Type.Optional(Type.Boolean()),
  /** Accepted and unused (a warning): decisions are inserted 1000 rows per statement (store/decisions.ts). */
  decision_bulk_size: Type.Optional(Type.Integer({ minimum: 0 })),
  log_level: Str(),
  flush: Type.Optional(FlushSchema),
});

/** Upstream's `api.server.tls.client_verification` values (Go's tls.ClientAuthType names). */
export const CLIENT_VERIFICATIONS = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientVerification = (typeof CLIENT_VERIFICATIONS)[number];

const TlsSchema = Type.Object(
  {
    cert_file: Str(),
    key_file: Str(),
    ca_cert_path: Str(),
    /** One of upstream's five modes (checked at load); unset means VerifyClientCertIfGiven. */
    client_verification: Str(),
    /** The OUs a client certificate needs for each role; an empty list refuses every certificate, as upstream. */
    agents_allowed_ou: Type.Array(Type.String(), { default: ['agent-ou'] }),
    bouncers_allowed_ou: Type.Array(Type.String(), { default: ['bouncer-ou'] }),
    crl_path: Str(),
    cache_expiration: Duration(),
    server_name: Str(),
  },
  { additionalProperties: false },
);

export const ServerSchema = Section({
  enable: Bool(true),
  listen_uri: Str('127.0.0.1:8080'),
  /** A Unix socket the Local API also listens on (plain HTTP, clients count as 127.0.0.1). */
  listen_socket: Str(),
  log_level: Str(),
  papi_log_level: Ignored,
  profiles_path: Str(),
  console_path: Ignored,
  online_client: Ignored,
  capi_whitelists_path: Ignored,
  disable_usage_metrics_export: Ignored,
  trusted_ips: StrList(),
  use_forwarded_for_headers: Bool(false),
  trusted_proxies: Type.Optional(Type.Array(Type.String())),
  tls: Type.Optional(TlsSchema),
  disable_remote_lapi_registration: Bool(false),
  auto_registration: Section({
    enabled: Bool(false),
    token: Str(),
    allowed_ranges: StrList(),
  }),
  /** Lapis: the request body cap after decompression, in bytes (upstream: 50 MiB, 2 MiB for register and login). */
  max_body_bytes: Type.Integer({ minimum: 1024, default: 10 * 1024 * 1024 }),
  cors_allowed_origins: Ignored,
  /** Lapis: what slow, numerous or guessing clients may hold (docs/reliability.md). */
  limits: Section({
    /** Until a request's headers are complete, and until its whole body is read (Go durations). */
    read_header_timeout: Str('10s'),
    read_timeout: Str('60s'),
    /** An idle keep-alive connection is closed after this. */
    idle_timeout: Str('60s'),
    /** Open connections per listener; past it the oldest idle or still-unsent one is closed. 0: from the fd limit. */
    max_connections: Type.Integer({ minimum: 0, default: 0 }),
    /** The bytes all request bodies being read may hold together, per listener (after decompression). */
    max_inflight_body_bytes: Type.Integer({ minimum: 1024, default: 64 * 1024 * 1024 }),
    /** Failed logins a source address or a machine may make before each further one is delayed. */
    login_failures_allowed: Type.Integer({ minimum: 1, default: 5 }),
    /** The longest wait a source or a machine is given after failed logins (doubling from 1s). */
    login_backoff_max: Str('5m'),
  }),
});

/** Lapis: the admin API (allowlists management in the shapes of the console's Service API), on a listener of its own. */
export const AdminSchema = Section({
  enabled: Bool(true),
  listen_uri: Str('127.0.0.1:8081'),
  /** The `organization_id` objects carry; drawn once and kept in the database when unset. */
  organization_id: Str(),
  /** What the built-in `lapi` blocklist keeps of this instance's decisions (cs-blocklist-mirror's filter keys). */
  lapi_blocklist: Section({
    only_include_decisions_from: StrList(),
    include_scenarios_containing: StrList(),
    exclude_scenarios_containing: StrList(),
    supported_decisions_types: StrList(),
  }),
  /** Blocklists that follow a URL. */
  feeds: Section({
    /** How often a list's URL is checked when the list does not say. */
    refresh_interval: Str('1h'),
    /** The most bytes a feed may send (after decompression). */
    max_bytes: Type.Integer({ minimum: 1024, default: 32 * 1024 * 1024 }),
    /** The most entries a feed may hold. */
    max_entries: Type.Integer({ minimum: 1, default: 1_000_000 }),
    timeout: Str('30s'),
  }),
});

/**
 * Lapis: cs-blocklist-mirror's own config file, as one section (its top-level keys, same names), served from this
 * instance's decisions on a listener of its own. It is on when `blocklists` is not empty. The mirror's filter keys
 * apply; its LAPI connection, metrics and log keys are accepted and unused (a warning says so): Lapis is the LAPI.
 */
const MirrorBlocklistSchema = Type.Object(
  {
    format: Str(''),
    endpoint: Str(''),
    aggregate: Bool(false),
    authentication: Section({
      /** none, ip_based or basic, any case; empty is none (checked at load). */
      type: Str(''),
      user: Str(),
      password: Str(),
      trusted_ips: StrList(),
      /** Parsed and never used, as upstream. */
      token: Ignored,
    }),
  },
  { additionalProperties: false },
);

export const BlocklistMirrorSchema = Section({
  config_version: Ignored,
  listen_uri: Str('127.0.0.1:41412'),
  tls: Section({ cert_file: Str(), key_file: Str() }),
  blocklists: Type.Array(MirrorBlocklistSchema, { default: [] }),
  crowdsec_config: Section({
    include_scenarios_containing: StrList(),
    exclude_scenarios_containing: StrList(),
    only_include_decisions_from: StrList(),
    /** Unset or empty: ip and range, LAPI's stream default. */
    scopes: StrList(),
    /** Empty: every type. */
    supported_decisions_types: StrList(),
    lapi_url: Ignored,
    lapi_key: Ignored,
    cert_path: Ignored,
    key_path: Ignored,
    ca_cert_path: Ignored,
    insecure_skip_verify: Ignored,
    update_frequency: Ignored,
  }),
  metrics: Ignored,
  enable_access_logs: Ignored,
  log_media: Ignored,
  log_dir: Ignored,
  log_level: Ignored,
  log_max_size: Ignored,
  log_max_age: Ignored,
  log_max_backups: Ignored,
  compress_logs: Ignored,
});

export const ClientSchema = Section({
  credentials_path: Str(),
  insecure_skip_verify: Bool(false),
  /** An agent's key (it deletes its machine when it stops): accepted, and warned about when true. */
  unregister_on_exit: Bool(false),
});

export const ConfigSchema = Type.Object(
  {
    common: Section({
      daemonize: Ignored,
      pid_dir: Ignored,
      /** stdout or file (checked at load); upstream's syslog is accepted with a warning. */
      log_media: Str('stdout'),
      /** With `file`: the directory of `lapis.log`, which must exist. */
      log_dir: Str('/var/log/'),
      log_level: Str(),
      force_color_logs: Ignored,
      /** Lapis writes JSON lines: `json` or unset; upstream's `text` is accepted with a warning. */
      log_format: Str(),
      /** Rotation, as upstream's lumberjack settings: 0 or unset means the default (500 MB, 28 days, 3 files, compressed). */
      log_max_size: Type.Optional(Type.Integer({ minimum: 0 })),
      log_max_age: Type.Optional(Type.Integer({ minimum: 0 })),
      log_max_files: Type.Optional(Type.Integer({ minimum: 0 })),
      compress_logs: Type.Optional(Type.Boolean()),
      working_dir: Ignored,
    }),
    config_paths: Section({
      config_dir: Ignored,
      data_dir: Str(),
      simulation_path: Ignored,
      hub_dir: Ignored,
      index_path: Ignored,
      notification_dir: Str(),
      plugin_dir: Ignored,
      pattern_dir: Ignored,
    }),
    crowdsec_service: Ignored,
    cscli: Ignored,
    plugin_config: Ignored,
    db_config: DbConfigSchema,
    api: Section({
      client: ClientSchema,
      server: ServerSchema,
      admin: AdminSchema,
      cti: Ignored,
    }),
    blocklist_mirror: BlocklistMirrorSchema,
    prometheus: Section({
      enabled: Bool(false),
      /** full, aggregated (no per-machine or per-bouncer labels) or none (checked at load). */
      level: Str('full'),
      listen_addr: Str('127.0.0.1'),
      listen_port: Type.Integer({ minimum: 0, maximum: 65535, default: 6060 }),
      /** Lapis: IPs and CIDRs that may scrape `/metrics` (others get a 403); empty, anyone who reaches the listener. */
      trusted_ips: StrList(),
    }),
  },
  { additionalProperties: false },
);

export type RawConfig = Static<typeof ConfigSchema>;

/** `db_config.sslmode` as libpq means it, once `allow`/`prefer` are refused and disable means no TLS at all. */
export type DbSslMode = 'require' | 'verify-ca' | 'verify-full';

/** TLS to PostgreSQL or MySQL. The files are read when the pool opens. */
export interface DbTls {
  readonly mode: DbSslMode;
  readonly caFile: string | undefined;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
}

export type DbConfig = Static<typeof DbConfigSchema> & {
  db_path: string;
  /** From `sslmode` and `ssl_*`: null for a plain connection (and for SQLite). */
  tls: DbTls | null;
};

export const METRICS_LEVELS = ['full', 'aggregated', 'none'] as const;
export type MetricsLevel = (typeof METRICS_LEVELS)[number];

/** `db_config.flush`, durations in whole milliseconds (Go durations reach nanoseconds, the columns do not). */
export interface Retention {
  /** `max_age` and `max_items`; null without a `flush` section, when alerts are kept. */
  readonly alerts: { readonly maxAgeMs: number | null; readonly maxItems: number | null } | null;
  readonly bouncersAutodeleteMs: { readonly apiKey: number | null; readonly cert: number | null };
  readonly agentsAutodeleteMs: { readonly password: number | null; readonly cert: number | null };
  /** 7 days unless `metrics_max_age` says otherwise. */
  readonly metricsMaxAgeMs: number;
}

export interface Limits {
  readonly readHeaderTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** Already resolved: never 0. */
  readonly maxConnections: number;
  readonly maxInflightBodyBytes: number;
  readonly loginFailuresAllowed: number;
  readonly loginBackoffMaxMs: number;
}

/** Who may fetch one mirror endpoint, as cs-blocklist-mirror's `authentication` (trusted IPs parsed at load). */
export type MirrorAuth =
  | { readonly type: 'none' }
  | { readonly type: 'ip_based'; readonly trustedIps: readonly IpRange[] }
  | { readonly type: 'basic'; readonly user: string; readonly password: string };

export interface MirrorEndpoint {
  readonly format: MirrorFormat;
  /** The exact path it answers on, any method. */
  readonly endpoint: string;
  readonly aggregate: boolean;
  readonly auth: MirrorAuth;
}

/** `blocklist_mirror`, checked and parsed; null when it has no blocklists. */
export interface MirrorConfig {
  readonly listen: { readonly host: string; readonly port: number };
  /** Both files: HTTPS. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  readonly blocklists: readonly MirrorEndpoint[];
  /** What the mirror would ask LAPI's stream for, as its query parameters (`scopes`, `origins`…, comma lists). */
  readonly streamQuery: Readonly<Record<string, string>>;
  /** `supported_decisions_types`: empty for every type. */
  readonly supportedTypes: readonly string[];
}

/** `common.log_media: file`: `<log_dir>/lapis.log`, rotated by size. */
export interface LogFileSettings {
  readonly path: string;
  readonly maxSizeMb: number;
  readonly maxFiles: number;
  readonly maxAgeDays: number;
  readonly compress: boolean;
}

/** The server's log output: stdout, or a rotated file. */
export type LogOutput = { readonly media: 'stdout' } | ({ readonly media: 'file' } & LogFileSettings);

/** The loaded configuration: the file's keys with defaults applied, plus what was derived from them. */
export interface Config {
  /** The file it came from, or null for the embedded default. */
  readonly source: string | null;
  /** Where Lapis keeps its own state (the SQLite file by default, the JWT secret). */
  readonly dataDir: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly db: Readonly<DbConfig>;
  readonly server: Readonly<Static<typeof ServerSchema>>;
  /** The admin API listener. */
  readonly admin: {
    readonly enabled: boolean;
    readonly listen: { readonly host: string; readonly port: number };
    readonly organizationId: string | undefined;
    /** The `lapi` blocklist's filter. */
    readonly lapiFilter: LapiListFilter;
    readonly feeds: { readonly refreshMs: number; readonly maxBytes: number; readonly maxEntries: number; readonly timeoutMs: number };
  };
  readonly client: Readonly<Static<typeof ClientSchema> & { credentials_path: string }>;
  readonly prometheus: Readonly<
    Omit<RawConfig['prometheus'], 'level' | 'trusted_ips'> & {
      level: MetricsLevel /** `trusted_ips`, parsed. */;
      trustedIps: readonly IpRange[];
    }
  >;
  readonly logLevel: string;
  /** Where the server's log lines go (`common.log_*`). */
  readonly log: LogOutput;
  /** `config_paths.notification_dir`: the notifier files profiles refer to. */
  readonly notificationDir: string | undefined;
  /** `api.server.limits`, durations in milliseconds. */
  readonly limits: Limits;
  /** `CS_LAPI_SECRET`, when set. */
  readonly jwtSecret: string | null;
  /** `api.server.trusted_ips`, parsed. */
  readonly trustedIps: readonly IpRange[];
  /** `api.server.auto_registration.allowed_ranges`, parsed. */
  readonly autoRegistrationRanges: readonly IpRange[];
  /** `api.server.tls.cache_expiration` in milliseconds (1 h when unset). */
  readonly tlsCacheMs: number;
  readonly retention: Retention;
  /** The cs-blocklist-mirror listener, when `blocklist_mirror.blocklists` is not empty. */
  readonly mirror: MirrorConfig | null;
  /** Keys accepted but without effect here, one sentence each; the server logs them once at start. */
  readonly warnings: readonly string[];
}
