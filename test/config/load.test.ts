import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { tempDir, testConfig } from '../helpers/app.js';
import { failsWith, load, server } from './helpers.js';

// CrowdSec's config/config.yaml as shipped, plus a few keys its structs know.
const UPSTREAM_CONFIG = `common:
  daemonize: true
  log_media: file
  log_level: info
  log_dir: /var/log/
  log_max_size: 20
  compress_logs: true
  log_max_files: 10
  force_color_logs: false
config_paths:
  config_dir: /etc/crowdsec/
  data_dir: /var/lib/crowdsec/data/
  simulation_path: /etc/crowdsec/simulation.yaml
  hub_dir: /etc/crowdsec/hub/
  index_path: /etc/crowdsec/hub/.index.json
  notification_dir: /etc/crowdsec/notifications/
  plugin_dir: /usr/local/lib/crowdsec/plugins/
crowdsec_service:
  #console_context_path: /etc/crowdsec/console/context.yaml
  acquisition_path: /etc/crowdsec/acquis.yaml
  acquisition_dir: /etc/crowdsec/acquis.d
  parser_routines: 1
cscli:
  output: human
  color: auto
db_config:
  log_level: info
  type: sqlite
  db_path: /var/lib/crowdsec/data/crowdsec.db
  #max_open_conns: 100
  #user:
  #password:
  #db_name:
  #host:
  #port:
  flush:
    max_items: 5000
    max_age: 7d
    metrics_max_age: 7d
    bouncers_autodelete:
      cert: 60m
      api_key: 1d
    agents_autodelete:
      cert: 60m
      login_password: 1d
plugin_config:
  user: nobody # plugin process would be ran on behalf of this user
  group: nogroup # plugin process would be ran on behalf of this group
api:
  client:
    insecure_skip_verify: false
    credentials_path: /etc/crowdsec/local_api_credentials.yaml
  server:
    log_level: info
    listen_uri: 127.0.0.1:8080
    profiles_path: /etc/crowdsec/profiles.yaml
    console_path: /etc/crowdsec/console.yaml
    online_client: # Central API credentials (to push signals and receive bad IPs)
      credentials_path: /etc/crowdsec/online_api_credentials.yaml
    trusted_ips: # IP ranges, or IPs which can have admin API access
      - 127.0.0.1
      - ::1
#    tls:
#      cert_file: /etc/crowdsec/ssl/cert.pem
#      key_file: /etc/crowdsec/ssl/key.pem
prometheus:
  enabled: true
  level: full
  listen_addr: 127.0.0.1
  listen_port: 6060
`;

describe('the embedded default', () => {
  test('no path: listen on 127.0.0.1:8080, SQLite under LAPIS_DATA_DIR', (t) => {
    const dir = tempDir(t);
    const c = loadConfig({ env: { LAPIS_DATA_DIR: dir } });
    assert.equal(c.source, null);
    assert.equal(c.dataDir, dir);
    assert.deepEqual(c.listen, { host: '127.0.0.1', port: 8080 });
    assert.equal(c.db.type, 'sqlite');
    assert.equal(c.db.db_path, join(dir, 'lapis.db'));
    assert.equal(c.db.max_open_conns, 100);
    assert.equal(c.db.flush, undefined);
    assert.equal(c.client.credentials_path, join(dir, 'local_api_credentials.yaml'));
    assert.equal(c.server.enable, true);
    assert.deepEqual(c.server.trusted_ips, []);
    assert.equal(c.server.use_forwarded_for_headers, false);
    assert.equal(c.server.disable_remote_lapi_registration, false);
    assert.deepEqual(c.server.auto_registration, { enabled: false, allowed_ranges: [] });
    assert.deepEqual(c.prometheus, { enabled: false, level: 'full', listen_addr: '127.0.0.1', listen_port: 6060, trustedIps: [] });
    assert.deepEqual(c.admin, {
      enabled: true,
      listen: { host: '127.0.0.1', port: 8081 },
      organizationId: undefined,
      lapiFilter: { origins: [], scenariosContaining: [], scenariosNotContaining: [], types: [] },
      feeds: { refreshMs: 3_600_000, maxBytes: 32 * 1024 * 1024, maxEntries: 1_000_000, timeoutMs: 30_000 },
    });
    assert.equal(c.logLevel, 'info');
    assert.equal(c.jwtSecret, null);
  });

  test('api.admin: its own listener and an organization id of choice', (t) => {
    const c = load(
      t,
      'api:\n  admin:\n    enabled: false\n    listen_uri: "[::1]:9443"\n    organization_id: acme\n' +
        '    lapi_blocklist:\n      only_include_decisions_from: [crowdsec]\n      supported_decisions_types: [ban]\n' +
        '    feeds:\n      refresh_interval: 6h\n      timeout: 10s\n',
    );
    assert.deepEqual(c.admin, {
      enabled: false,
      listen: { host: '::1', port: 9443 },
      organizationId: 'acme',
      lapiFilter: { origins: ['crowdsec'], scenariosContaining: [], scenariosNotContaining: [], types: ['ban'] },
      feeds: { refreshMs: 6 * 3_600_000, maxBytes: 32 * 1024 * 1024, maxEntries: 1_000_000, timeoutMs: 10_000 },
    });
  });

  test('without LAPIS_DATA_DIR the data dir is ./data', () => {
    assert.equal(loadConfig({ env: {} }).dataDir, resolve('data'));
  });

  test('LAPIS_CONFIG names the file when no path is given', (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'lapis.yaml');
    writeFileSync(path, server('listen_uri: 127.0.0.1:9999'));
    const c = loadConfig({ env: { LAPIS_CONFIG: path, LAPIS_DATA_DIR: dir } });
    assert.equal(c.source, path);
    assert.equal(c.listen.port, 9999);
  });

  test('the result is frozen, and loads do not share state', (t) => {
    const dir = tempDir(t);
    const a = loadConfig({ env: { LAPIS_DATA_DIR: dir } });
    assert.ok(Object.isFrozen(a.server.trusted_ips));
    assert.throws(() => (a.server.trusted_ips as string[]).push('1.2.3.4'), TypeError);
    const b = load(t, server('trusted_ips: [10.0.0.1]'));
    assert.deepEqual(b.server.trusted_ips, ['10.0.0.1']);
    assert.deepEqual(loadConfig({ env: { LAPIS_DATA_DIR: dir } }).server.trusted_ips, []);
  });

  test('an empty file, or one of comments, is the default', (t) => {
    for (const yaml of ['', '# nothing\n', '---\n']) {
      const c = load(t, yaml);
      assert.deepEqual(c.listen, { host: '127.0.0.1', port: 8080 });
      assert.equal(c.db.type, 'sqlite');
    }
  });
});

describe('an upstream config.yaml', () => {
  test("CrowdSec's default config.yaml loads", (t) => {
    const c = load(t, UPSTREAM_CONFIG);
    assert.equal(c.dataDir, '/var/lib/crowdsec/data');
    assert.equal(c.db.db_path, '/var/lib/crowdsec/data/crowdsec.db');
    assert.equal(c.db.flush?.max_items, 5000);
    assert.equal(c.db.flush?.max_age, '7d');
    assert.deepEqual(c.listen, { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(c.server.trusted_ips, ['127.0.0.1', '::1']);
    assert.equal(c.server.profiles_path, '/etc/crowdsec/profiles.yaml');
    assert.equal(c.client.credentials_path, '/etc/crowdsec/local_api_credentials.yaml');
    assert.equal(c.client.insecure_skip_verify, false);
    assert.equal(c.prometheus.enabled, true);
    assert.equal(c.logLevel, 'info');
  });

  test('scalars read as yaml.v3 reads them into typed fields', (t) => {
    const c = load(
      t,
      `db_config:\n  password: 0123\n  user: 1.10\n  db_name: true\n  use_wal: on\n` +
        server(
          'enable: yes\nuse_forwarded_for_headers: Off\nauto_registration:\n  enabled: Y\n  token: 12345678901234567890123456789012\n  allowed_ranges: [10.0.0.0/8]',
        ),
    );
    assert.equal(c.db.password, '0123');
    assert.equal(c.db.user, '1.10');
    assert.equal(c.db.db_name, 'true');
    assert.equal(c.db.use_wal, true);
    assert.equal(c.server.enable, true);
    assert.equal(c.server.use_forwarded_for_headers, false);
    assert.equal(c.server.auto_registration.enabled, true);
    assert.equal(c.server.auto_registration.token, '12345678901234567890123456789012');
  });

  test('a key with nothing after it counts as absent', (t) => {
    const c = load(t, `prometheus:\ndb_config:\n  password:\n${server('trusted_ips:\nlisten_uri: 127.0.0.1:8081')}`);
    assert.deepEqual(c.server.trusted_ips, []);
    assert.equal(c.db.password, undefined);
    assert.equal(c.prometheus.listen_port, 6060);
    assert.equal(c.listen.port, 8081);
  });

  test('only the first YAML document counts, as yaml.v3 decodes one', (t) => {
    const c = load(t, `${server('listen_uri: 127.0.0.1:8082')}---\nnot: [valid\n`);
    assert.equal(c.listen.port, 8082);
  });

  test('max_open_conns: 0 means the default', (t) => {
    assert.equal(load(t, 'db_config:\n  max_open_conns: 0\n').db.max_open_conns, 100);
    assert.equal(load(t, 'db_config:\n  max_open_conns: 7\n').db.max_open_conns, 7);
  });
});

describe('rejected configurations', () => {
  const cases: [string, string, string][] = [
    // unknown keys
    ['an unknown top-level key', 'foo: 1\n', 'config: foo: unknown key'],
    ['an unknown server key', server('foo: 1'), 'config: api.server.foo: unknown key'],
    ['an unknown flush key', 'db_config:\n  flush:\n    max_itemz: 1\n', 'config: db_config.flush.max_itemz: unknown key'],
    ['an unknown tls key', server('tls:\n  cert: x'), 'config: api.server.tls.cert: unknown key'],
    ['enable for enabled', server('auto_registration:\n  enable: true'), 'config: api.server.auto_registration.enable: unknown key'],
    ['a key with / and ~', server('"a/b~c": 1'), 'config: api.server.a/b~c: unknown key'],
    ['__proto__', '__proto__:\n  x: 1\n', 'config: __proto__: unknown key'],
    // bad types
    ['a bool', server('enable: maybe'), 'config: api.server.enable: expected boolean'],
    ['a quoted "true" for a bool', server('enable: "true"'), 'config: api.server.enable: expected boolean'],
    ['a string for a list', server('trusted_ips: 127.0.0.1'), 'config: api.server.trusted_ips: expected array'],
    ['a list in a list', server('trusted_ips:\n  - [1]'), 'config: api.server.trusted_ips.0: expected string'],
    ['a list for a string', server('listen_uri: [a]'), 'config: api.server.listen_uri: expected string'],
    ['a word for a port', 'db_config:\n  port: http\n', 'config: db_config.port: expected integer'],
    ['a fraction for a count', 'db_config:\n  max_open_conns: 1.5\n', 'config: db_config.max_open_conns: expected integer'],
    ['a port too high', 'db_config:\n  port: 70000\n', 'config: db_config.port: expected integer to be less or equal to 65535'],
    ['a negative port', 'prometheus:\n  listen_port: -1\n', 'config: prometheus.listen_port: expected integer to be greater or equal to 0'],
    ['a scalar for a section', 'api: 5\n', 'config: api: expected object'],
    ['a word for max_items', 'db_config:\n  flush:\n    max_items: lots\n', 'config: db_config.flush.max_items: expected integer'],
    // listen_uri
    ['a negative port', server('listen_uri: 127.0.0.1:-80'), "config: api.server.listen_uri: invalid port in '127.0.0.1:-80'"],
    ['port 65536', server('listen_uri: 127.0.0.1:65536'), "config: api.server.listen_uri: invalid port in '127.0.0.1:65536'"],
    ['an exponent port', server('listen_uri: 127.0.0.1:1e3'), "config: api.server.listen_uri: invalid port in '127.0.0.1:1e3'"],
    ['a hex port', server('listen_uri: 127.0.0.1:0x50'), "config: api.server.listen_uri: invalid port in '127.0.0.1:0x50'"],
    ['an empty port', server('listen_uri: "127.0.0.1:"'), "config: api.server.listen_uri: invalid port in '127.0.0.1:'"],
    ['no port', server('listen_uri: 127.0.0.1'), "config: api.server.listen_uri: missing port in '127.0.0.1'"],
    ['a bare number', server('listen_uri: 8080'), "config: api.server.listen_uri: missing port in '8080'"],
    ['IPv6 without brackets', server('listen_uri: "::1:8080"'), "config: api.server.listen_uri: too many colons in '::1:8080'"],
    ['an unclosed bracket', server('listen_uri: "[::1:8080"'), "config: api.server.listen_uri: missing ']' in '[::1:8080'"],
    // the admin API
    [
      'an admin listen_uri without port',
      'api:\n  admin:\n    listen_uri: 127.0.0.1\n',
      "config: api.admin.listen_uri: missing port in '127.0.0.1'",
    ],
    ['an unknown admin key', 'api:\n  admin:\n    port: 1\n', 'config: api.admin.port: unknown key'],
    ['a word for admin enabled', 'api:\n  admin:\n    enabled: sure\n', 'config: api.admin.enabled: expected boolean'],
    // IP lists
    ['a bad trusted IP', server('trusted_ips: [127.0.0.1, nope]'), "config: api.server.trusted_ips: invalid ip address 'nope'"],
    [
      'a bad trusted range',
      server('trusted_ips: [10.0.0.0/33]'),
      "config: api.server.trusted_ips: invalid ip range '10.0.0.0/33': invalid CIDR address: 10.0.0.0/33",
    ],
    ['a leading-zero trusted IP', server('trusted_ips: [010.0.0.1]'), "config: api.server.trusted_ips: invalid ip address '010.0.0.1'"],
    [
      'a bad trusted proxy',
      server('trusted_proxies: [fe80::1%eth0]'),
      "config: api.server.trusted_proxies: invalid ip address 'fe80::1%eth0'",
    ],
    // flush
    ['max_items 0', 'db_config:\n  flush:\n    max_items: 0\n', "config: db_config.flush.max_items: max_items can't be zero or negative"],
    ['max_items -1', 'db_config:\n  flush:\n    max_items: -1\n', "config: db_config.flush.max_items: max_items can't be zero or negative"],
    ['a bad max_age', 'db_config:\n  flush:\n    max_age: toto\n', 'config: db_config.flush.max_age: time: invalid duration "toto"'],
    [
      'max_age in words',
      'db_config:\n  flush:\n    max_age: 1 day\n',
      'config: db_config.flush.max_age: invalid day value in duration "1 day"',
    ],
    ['a unitless max_age', 'db_config:\n  flush:\n    max_age: 7\n', 'config: db_config.flush.max_age: time: missing unit in duration "7"'],
    [
      'a bad metrics_max_age',
      'db_config:\n  flush:\n    metrics_max_age: 7x\n',
      'config: db_config.flush.metrics_max_age: time: unknown unit "x" in duration "7x"',
    ],
    [
      'a bad bouncer autodelete',
      'db_config:\n  flush:\n    bouncers_autodelete:\n      cert: 1d-2h\n',
      'config: db_config.flush.bouncers_autodelete.cert: misplaced negative sign in duration "1d-2h"',
    ],
    [
      'an empty agent autodelete',
      'db_config:\n  flush:\n    agents_autodelete:\n      login_password: ""\n',
      'config: db_config.flush.agents_autodelete.login_password: empty duration string',
    ],
    [
      'days in a Go duration',
      server('tls:\n  cache_expiration: 1d'),
      'config: api.server.tls.cache_expiration: time: unknown unit "d" in duration "1d"',
    ],
    // database
    ['db type test', 'db_config:\n  type: test\n', "config: db_config.type: unknown database type 'test'"],
    ['db type oracle', 'db_config:\n  type: oracle\n', "config: db_config.type: unknown database type 'oracle'"],
    // log levels
    ['a bad server log level', server('log_level: verbose'), 'config: api.server.log_level: not a valid logrus Level: "verbose"'],
    ['a bad common log level', 'common:\n  log_level: notice\n', 'config: common.log_level: not a valid logrus Level: "notice"'],
    ['a numeric log level', server('log_level: 5'), 'config: api.server.log_level: not a valid logrus Level: "5"'],
    ['an empty log level', server('log_level: ""'), 'config: api.server.log_level: not a valid logrus Level: ""'],
    ['a bad papi log level', server('papi_log_level: loud'), 'config: api.server.papi_log_level: not a valid logrus Level: "loud"'],
    ['a bad db log level', 'db_config:\n  log_level: chatty\n', 'config: db_config.log_level: not a valid logrus Level: "chatty"'],
    // auto registration
    [
      'a short token',
      server(`auto_registration:\n  enabled: true\n  token: ${'x'.repeat(31)}\n  allowed_ranges: [10.0.0.0/8]`),
      'config: api.server.auto_registration.token: must be at least 32 characters',
    ],
    [
      'a token of 31 bytes',
      server(`auto_registration:\n  enabled: true\n  token: ${'é'.repeat(15)}x\n  allowed_ranges: [10.0.0.0/8]`),
      'config: api.server.auto_registration.token: must be at least 32 characters',
    ],
    [
      'no token',
      server('auto_registration:\n  enabled: true\n  allowed_ranges: [10.0.0.0/8]'),
      'config: api.server.auto_registration.token: must be at least 32 characters',
    ],
    [
      'no ranges',
      server(`auto_registration:\n  enabled: true\n  token: ${'x'.repeat(32)}`),
      'config: api.server.auto_registration.allowed_ranges: required when auto_registration is enabled',
    ],
    [
      'a bad range',
      server(`auto_registration:\n  enabled: true\n  token: ${'x'.repeat(32)}\n  allowed_ranges: [10.0.0.0/8, 10.0.0.0/40]`),
      "config: api.server.auto_registration.allowed_ranges: invalid ip range '10.0.0.0/40': invalid CIDR address: 10.0.0.0/40",
    ],
    // YAML itself
    [
      'a YAML syntax error',
      'a: [\n',
      'config: PATH: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1',
    ],
    ['a tab indent', '\tfoo: 1\n', 'config: PATH: Tabs are not allowed as indentation at line 1, column 1'],
    [
      'a duplicate key',
      'common:\n  log_level: info\ncommon:\n  log_level: debug\n',
      'config: PATH: Map keys must be unique at line 3, column 1',
    ],
    ['an unknown alias', 'ref: *foo\n', 'config: PATH: Unresolved alias (the anchor must be set before the alias): foo'],
    ['a list at top level', '- 1\n- 2\n', 'config: PATH: expected a YAML mapping'],
    ['a scalar at top level', 'hello\n', 'config: PATH: expected a YAML mapping'],
  ];
  for (const [what, yaml, message] of cases) {
    test(`${what}: ${message}`, (t) => {
      failsWith(t, yaml, message);
    });
  }
});

describe('accepted values at the edges', () => {
  const listens: [string, { host: string; port: number }][] = [
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    [':0', { host: '0.0.0.0', port: 0 }],
    ['0.0.0.0:65535', { host: '0.0.0.0', port: 65535 }],
    ['[::1]:8081', { host: '::1', port: 8081 }],
    ['[::]:80', { host: '::', port: 80 }],
    ['localhost:080', { host: 'localhost', port: 80 }],
  ];
  for (const [uri, want] of listens) {
    test(`listen_uri ${uri}`, (t) => {
      assert.deepEqual(load(t, server(`listen_uri: "${uri}"`)).listen, want);
    });
  }

  test('every logrus level name, in any case', (t) => {
    for (const level of ['trace', 'debug', 'info', 'warning', 'warn', 'error', 'fatal', 'panic', 'INFO', 'Warning']) {
      assert.equal(load(t, server(`log_level: ${level}`)).logLevel, level);
    }
  });

  test('api.server.log_level wins over common.log_level, which wins over info', (t) => {
    assert.equal(load(t, `common:\n  log_level: debug\n${server('log_level: error')}`).logLevel, 'error');
    assert.equal(load(t, 'common:\n  log_level: debug\n').logLevel, 'debug');
  });

  test('flush values in range', (t) => {
    const c = load(
      t,
      `db_config:\n  flush:\n    max_items: 1\n    max_age: 1d12h\n    metrics_max_age: 90m\n${server('tls:\n  cache_expiration: 1h30m')}`,
    );
    assert.equal(c.db.flush?.max_items, 1);
    assert.equal(c.db.flush?.max_age, '1d12h');
    assert.equal(c.server.tls?.cache_expiration, '1h30m');
  });

  test('auto_registration: a 32-byte token with ranges; disabled needs neither', (t) => {
    const ok = load(t, server(`auto_registration:\n  enabled: true\n  token: ${'é'.repeat(16)}\n  allowed_ranges: [10.0.0.0/8, 1.2.3.4]`));
    assert.equal(ok.server.auto_registration.enabled, true);
    const off = load(t, server('auto_registration:\n  enabled: false\n  token: short'));
    assert.equal(off.server.auto_registration.enabled, false);
  });
});

describe('CS_LAPI_SECRET', () => {
  const cases: [string, string | null, string | null][] = [
    ['unset is fine (a random secret is used)', null, null],
    ['empty counts as unset', '', null],
    ['64 bytes', 'k'.repeat(64), 'k'.repeat(64)],
    ['32 two-byte characters are 64 bytes', 'é'.repeat(32), 'é'.repeat(32)],
  ];
  for (const [what, secret, want] of cases) {
    test(what, (t) => {
      const c = load(t, '', secret === null ? {} : { CS_LAPI_SECRET: secret });
      assert.equal(c.jwtSecret, want);
    });
  }

  for (const [what, secret] of [
    ['63 bytes', 'k'.repeat(63)],
    ['31 two-byte characters and one more byte', `${'é'.repeat(31)}k`],
  ] as const) {
    test(`${what} is not strong enough`, (t) => {
      failsWith(t, '', 'CS_LAPI_SECRET not strong enough', { CS_LAPI_SECRET: secret });
    });
  }
});

describe('files that cannot be read', () => {
  test('a missing file', (t) => {
    const path = join(tempDir(t), 'nope.yaml');
    assert.throws(() => loadConfig({ path, env: {} }), { name: 'ConfigError', message: `config: ${path}: no such file` });
  });

  test('a directory', (t) => {
    const path = join(tempDir(t), 'config.yaml');
    mkdirSync(path);
    assert.throws(() => loadConfig({ path, env: {} }), { name: 'ConfigError', message: `config: cannot read ${path}: EISDIR` });
  });

  test('a .local overlay that is a directory', (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'config.yaml.local'));
    assert.throws(() => testConfig(dir, ''), {
      name: 'ConfigError',
      message: `config: cannot read ${join(dir, 'config.yaml.local')}: EISDIR`,
    });
  });
});
