import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DecisionFeed } from '../../src/engine/decision-feed.js';
import { formatRange } from '../../src/domain/ip-range.js';
import { LapiMetrics } from '../../src/metrics/lapi.js';
import type { Db } from '../../src/store/db.js';
import { failsWith, load, server } from './helpers.js';

/** Keys that upstream acts on: each is honoured, refused, or warned about (docs/compatibility.md, "Configuration keys"). */

const pg = (lines: string) => `db_config:\n  type: postgresql\n${lines.replace(/^/gm, '  ')}\n`;

describe('db_config TLS: sslmode and ssl_*', () => {
  const modes: [string, string, Record<string, unknown> | null][] = [
    ['unset', '', null],
    ['disable', 'sslmode: disable', null],
    ["MySQL's false", 'sslmode: false', null],
    ['require', 'sslmode: require', { mode: 'require' }],
    ["MySQL's skip-verify", 'sslmode: skip-verify', { mode: 'require' }],
    ['verify-ca', 'sslmode: verify-ca', { mode: 'verify-ca' }],
    ['verify-full', 'sslmode: verify-full', { mode: 'verify-full' }],
    ["MySQL's true", 'sslmode: true', { mode: 'verify-full' }],
    [
      'verify-full with a CA and a client certificate',
      'sslmode: verify-full\nssl_ca_cert: /etc/ca.pem\nssl_client_cert: /etc/c.pem\nssl_client_key: /etc/k.pem',
      { mode: 'verify-full', caFile: '/etc/ca.pem', certFile: '/etc/c.pem', keyFile: '/etc/k.pem' },
    ],
  ];
  for (const [what, lines, want] of modes) {
    test(`${what}: ${want ? want.mode : 'no TLS'}`, (t) => {
      const tls = load(t, pg(lines)).db.tls;
      assert.deepEqual(tls, want && { caFile: undefined, certFile: undefined, keyFile: undefined, ...want });
    });
  }

  test('SQLite has no TLS, whatever sslmode says', (t) => {
    assert.equal(load(t, 'db_config:\n  sslmode: verify-full\n').db.tls, null);
  });

  const refused: [string, string, string][] = [
    [
      'prefer',
      'sslmode: prefer',
      "config: db_config.sslmode: 'prefer' falls back to plaintext, which Lapis does not do: use disable, require, verify-ca or verify-full (or MySQL's false, skip-verify, true)",
    ],
    [
      'allow',
      'sslmode: allow',
      "config: db_config.sslmode: 'allow' falls back to plaintext, which Lapis does not do: use disable, require, verify-ca or verify-full (or MySQL's false, skip-verify, true)",
    ],
    [
      'a typo',
      'sslmode: verify_full',
      "config: db_config.sslmode: 'verify_full' is unknown: use disable, require, verify-ca or verify-full (or MySQL's false, skip-verify, true)",
    ],
    [
      'a CA without sslmode',
      'ssl_ca_cert: /etc/ca.pem',
      'config: db_config.ssl_ca_cert: set, but sslmode is disable: use require, verify-ca or verify-full',
    ],
    [
      'a client certificate with sslmode disable',
      'sslmode: disable\nssl_client_cert: /c.pem\nssl_client_key: /k.pem',
      'config: db_config.ssl_client_cert: set, but sslmode is disable: use require, verify-ca or verify-full',
    ],
    [
      'a client certificate without its key',
      'sslmode: require\nssl_client_cert: /c.pem',
      'config: db_config.ssl_client_key: required with the other one',
    ],
    [
      'a client key without its certificate',
      'sslmode: require\nssl_client_key: /k.pem',
      'config: db_config.ssl_client_cert: required with the other one',
    ],
  ];
  for (const [what, lines, message] of refused) {
    test(`${what} is refused`, (t) => failsWith(t, pg(lines), message));
  }
});

describe('parsed once at load', () => {
  test('IP lists are ranges', (t) => {
    const c = load(
      t,
      server(`trusted_ips: [127.0.0.1, 10.0.0.0/8, "::1"]\nauto_registration:\n  allowed_ranges: [192.168.0.0/16, 2001:db8::/32]`),
    );
    assert.deepEqual(c.trustedIps.map(formatRange), ['127.0.0.1', '10.0.0.0/8', '::1']);
    assert.deepEqual(c.autoRegistrationRanges.map(formatRange), ['192.168.0.0/16', '2001:db8::/32']);
  });

  test('db_config.flush durations are whole milliseconds; no flush section keeps alerts', (t) => {
    const c = load(
      t,
      'db_config:\n  flush:\n    max_items: 10\n    max_age: 1d2h\n    metrics_max_age: 90m\n' +
        '    bouncers_autodelete:\n      api_key: 1.5s\n      cert: 1ns\n    agents_autodelete:\n      login_password: 2h\n',
    );
    assert.deepEqual(c.retention, {
      alerts: { maxAgeMs: 26 * 3_600_000, maxItems: 10 },
      metricsMaxAgeMs: 90 * 60_000,
      bouncersAutodeleteMs: { apiKey: 1500, cert: 0 },
      agentsAutodeleteMs: { password: 2 * 3_600_000, cert: null },
    });
    assert.deepEqual(load(t, '').retention, {
      alerts: null,
      metricsMaxAgeMs: 7 * 86_400_000,
      bouncersAutodeleteMs: { apiKey: null, cert: null },
      agentsAutodeleteMs: { password: null, cert: null },
    });
  });

  test('api.server.tls.cache_expiration in milliseconds, 1h by default', (t) => {
    assert.equal(load(t, server('tls:\n  cache_expiration: 1m30s')).tlsCacheMs, 90_000);
    assert.equal(load(t, '').tlsCacheMs, 3_600_000);
  });
});

describe('keys accepted without effect are warned about', () => {
  const cases: [string, string, string][] = [
    ['decision_bulk_size', 'db_config:\n  decision_bulk_size: 500\n', 'db_config.decision_bulk_size is not used'],
    ['unregister_on_exit', 'api:\n  client:\n    unregister_on_exit: true\n', 'api.client.unregister_on_exit is not used'],
    [
      'a bouncer login_password autodelete',
      'db_config:\n  flush:\n    bouncers_autodelete:\n      login_password: 1d\n',
      'db_config.flush.bouncers_autodelete.login_password is not used',
    ],
    [
      'an agent api_key autodelete',
      'db_config:\n  flush:\n    agents_autodelete:\n      api_key: 1d\n',
      'db_config.flush.agents_autodelete.api_key is not used',
    ],
  ];
  for (const [what, yaml, start] of cases) {
    test(what, (t) => {
      const { warnings } = load(t, yaml);
      assert.equal(warnings.length, 1, String(warnings));
      assert.ok(warnings[0]!.startsWith(start), warnings[0]);
    });
  }

  test('the defaults, unregister_on_exit: false and config_dir warn about nothing', (t) => {
    assert.deepEqual(load(t, '').warnings, []);
    assert.deepEqual(load(t, 'config_paths:\n  config_dir: /etc/crowdsec/\napi:\n  client:\n    unregister_on_exit: false\n').warnings, []);
  });

  test('an ignored duration is still checked', (t) => {
    failsWith(
      t,
      'db_config:\n  flush:\n    agents_autodelete:\n      api_key: soon\n',
      'config: db_config.flush.agents_autodelete.api_key: time: invalid duration "soon"',
    );
  });
});

describe('use_wal and listen_socket at load', () => {
  test('use_wal is kept as given', (t) => {
    assert.equal(load(t, 'db_config:\n  use_wal: false\n').db.use_wal, false);
    assert.equal(load(t, '').db.use_wal, undefined);
  });

  test('listen_socket: a path that fits sun_path', (t) => {
    assert.equal(load(t, server('listen_socket: /run/lapis.sock')).server.listen_socket, '/run/lapis.sock');
    failsWith(t, server(`listen_socket: /${'x'.repeat(107)}`), 'config: api.server.listen_socket: longer than 107 bytes');
    failsWith(t, server('listen_socket: ""'), 'config: api.server.listen_socket: empty path');
  });
});

describe('prometheus.level', () => {
  // scrape-time gauges are not collected here: the names are read from the registry, not scraped
  const names = (level: 'full' | 'aggregated' | 'none') =>
    new LapiMetrics('test', {} as DecisionFeed, {} as Db, level).registry
      .getMetricsAsArray()
      .map((m) => m.name)
      .sort();

  test('full exports every metric', () => {
    const all = names('full');
    for (const n of ['cs_lapi_request_duration_seconds', 'cs_lapi_machine_requests_total', 'cs_active_decisions', 'cs_alerts']) {
      assert.ok(all.includes(n), n);
    }
  });

  test('aggregated drops the histogram, the scrape-time gauges and the per-machine and per-bouncer labels', () => {
    assert.deepEqual(names('aggregated'), [
      'cs_info',
      'cs_lapi_route_requests_total',
      'lapis_alert_commit_batch_alerts',
      'lapis_decision_change_lag_seconds',
      'lapis_notifications_dropped_total',
      'lapis_stream_pulls_total',
    ]);
  });

  test('none exports nothing', () => {
    assert.deepEqual(names('none'), []);
  });

  test('the level is read from the config and checked', (t) => {
    assert.equal(load(t, 'prometheus:\n  level: aggregated\n').prometheus.level, 'aggregated');
    failsWith(t, 'prometheus:\n  level: some\n', "config: prometheus.level: unknown level 'some' (full, aggregated or none)");
  });
});
