import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseIpOrRange } from '../../src/domain/ip-range.js';
import { failsWith, load } from './helpers.js';

const mirror = (body: string) => `blocklist_mirror:\n${body.replace(/^/gm, '  ')}\n`;
const one = (entry: string) => mirror(`blocklists:\n  - ${entry.replace(/\n/g, '\n    ')}`);

describe('blocklist_mirror', () => {
  test('off by default, and with an empty blocklists', (t) => {
    assert.equal(load(t, '').mirror, null);
    assert.equal(load(t, mirror('listen_uri: 127.0.0.1:9999\nblocklists: []')).mirror, null);
  });

  test("the mirror's own file, as it is: defaults, auth kinds, filters; connection, metrics and log keys warned about", (t) => {
    const c = load(
      t,
      mirror(`config_version: v1.0
crowdsec_config:
  lapi_url: http://127.0.0.1:8080/
  lapi_key: abc
  update_frequency: 10s
  insecure_skip_verify: false
  include_scenarios_containing: [ssh, http]
  exclude_scenarios_containing: []
  only_include_decisions_from: [crowdsec, cscli]
  supported_decisions_types: [ban]
blocklists:
  - format: plain_text
    endpoint: /security/blocklist
    authentication:
      type: none
  - format: mikrotik
    endpoint: /mikrotik
    aggregate: true
    authentication:
      type: IP_Based
      trusted_ips: [127.0.0.1, 192.168.0.0/16, ::1]
  - format: f5
    endpoint: /f5
    authentication: {type: basic, user: u, password: p, token: unused}
metrics:
  enabled: true
  endpoint: /metrics
enable_access_logs: true
log_media: stdout
log_level: info`),
    );
    assert.deepEqual(c.mirror, {
      listen: { host: '127.0.0.1', port: 41412 },
      tls: null,
      blocklists: [
        { format: 'plain_text', endpoint: '/security/blocklist', aggregate: false, auth: { type: 'none' } },
        {
          format: 'mikrotik',
          endpoint: '/mikrotik',
          aggregate: true,
          auth: { type: 'ip_based', trustedIps: ['127.0.0.1', '192.168.0.0/16', '::1'].map(parseIpOrRange) },
        },
        { format: 'f5', endpoint: '/f5', aggregate: false, auth: { type: 'basic', user: 'u', password: 'p' } },
      ],
      streamQuery: { scenarios_containing: 'ssh,http', origins: 'crowdsec,cscli' },
      supportedTypes: ['ban'],
    });
    assert.deepEqual(c.warnings, [
      "blocklist_mirror: crowdsec_config.lapi_url, crowdsec_config.lapi_key, crowdsec_config.insecure_skip_verify, crowdsec_config.update_frequency, config_version, metrics, enable_access_logs, log_media, log_level not used: the mirror is served from this instance's own decisions, metrics and logs",
    ]);
  });

  test('listen_uri, tls, scopes', (t) => {
    const c = load(
      t,
      mirror(`listen_uri: '[::1]:0'
tls: {cert_file: /etc/c.pem, key_file: /etc/k.pem}
crowdsec_config: {scopes: [ip, range, country], exclude_scenarios_containing: [slow]}
blocklists: [{format: juniper, endpoint: /j.txt, authentication: {type: ''}}]`),
    );
    assert.deepEqual(c.mirror?.listen, { host: '::1', port: 0 });
    assert.deepEqual(c.mirror?.tls, { certFile: '/etc/c.pem', keyFile: '/etc/k.pem' });
    assert.deepEqual(c.mirror?.streamQuery, { scopes: 'ip,range,country', scenarios_not_containing: 'slow' });
    assert.deepEqual(c.mirror?.blocklists[0]?.auth, { type: 'none' });
    assert.deepEqual(c.warnings, []);
  });

  const refused: [string, string, string][] = [
    [
      'an unknown format',
      one('{format: csv, endpoint: /x}'),
      "config: blocklist_mirror.blocklists.0.format: csv format is not supported. Supported formats are 'plain_text,mikrotik,f5,juniper'",
    ],
    [
      'no format',
      one('{endpoint: /x}'),
      // upstream's message with the empty name in front
      "config: blocklist_mirror.blocklists.0.format:  format is not supported. Supported formats are 'plain_text,mikrotik,f5,juniper'",
    ],
    [
      'an endpoint twice',
      mirror('blocklists:\n  - {format: f5, endpoint: /x}\n  - {format: juniper, endpoint: /x}'),
      'config: blocklist_mirror.blocklists.1.endpoint: /x endpoint used more than once',
    ],
    [
      'an endpoint that is not a path',
      one('{format: f5, endpoint: x}'),
      "config: blocklist_mirror.blocklists.0.endpoint: 'x' is not a path (it must start with /)",
    ],
    ['no endpoint', one('{format: f5}'), "config: blocklist_mirror.blocklists.0.endpoint: '' is not a path (it must start with /)"],
    [
      'an unknown auth type',
      one('{format: f5, endpoint: /x, authentication: {type: token}}'),
      "config: blocklist_mirror.blocklists.0.authentication.type: token authentication type is not supported. Supported authentication types are 'basic,ip_based,none'",
    ],
    [
      'basic without a password',
      one('{format: f5, endpoint: /x, authentication: {type: basic, user: u}}'),
      'config: blocklist_mirror.blocklists.0.authentication: basic authentication needs a user and a password',
    ],
    [
      'basic without a user',
      one("{format: f5, endpoint: /x, authentication: {type: basic, password: p, user: ''}}"),
      'config: blocklist_mirror.blocklists.0.authentication: basic authentication needs a user and a password',
    ],
    [
      'a trusted IP that does not parse',
      one('{format: f5, endpoint: /x, authentication: {type: ip_based, trusted_ips: [10.0.0.256]}}'),
      "config: blocklist_mirror.blocklists.0.authentication.trusted_ips: invalid ip address '10.0.0.256'",
    ],
    [
      'half a TLS config',
      mirror('tls: {cert_file: /c.pem}\nblocklists: [{format: f5, endpoint: /x}]'),
      'config: blocklist_mirror.tls.key_file: required with the other one',
    ],
    [
      'a bad listen_uri',
      mirror('listen_uri: localhost\nblocklists: [{format: f5, endpoint: /x}]'),
      "config: blocklist_mirror.listen_uri: missing port in 'localhost'",
    ],
    ['an unknown key', mirror('listen: 127.0.0.1:1'), 'config: blocklist_mirror.listen: unknown key'],
    ['an unknown blocklist key', one('{format: f5, endpoint: /x, path: /y}'), 'config: blocklist_mirror.blocklists.0.path: unknown key'],
    ['an unknown crowdsec_config key', mirror('crowdsec_config: {lapi: x}'), 'config: blocklist_mirror.crowdsec_config.lapi: unknown key'],
    ['a list that is not one', mirror('crowdsec_config: {scopes: ip}'), 'config: blocklist_mirror.crowdsec_config.scopes: expected array'],
    [
      'aggregate not a boolean',
      one('{format: f5, endpoint: /x, aggregate: maybe}'),
      'config: blocklist_mirror.blocklists.0.aggregate: expected boolean',
    ],
  ];
  for (const [what, yaml, message] of refused) test(`refused: ${what}`, (t) => failsWith(t, yaml, message));
});
