import assert from 'node:assert/strict';
import { test } from 'node:test';
import { restartKeys } from '../../src/config/restart-keys.js';
import { tempDir, testConfig } from '../helpers/app.js';

const TLS = (lines: string) => `api:\n  server:\n    tls:\n${lines}`;
const BASE = TLS('      cert_file: /a/cert.pem\n      key_file: /a/key.pem\n      crl_path: /a/crl.pem\n');

test('restartKeys: what a reload re-reads is never named; what only a restart applies is, by its YAML key', (t) => {
  const dir = tempDir(t);
  const base = testConfig(dir, BASE);
  const cases: [string, string, string[]][] = [
    ['same file', BASE, []],
    [
      'files and OUs of api.server.tls, profiles, notification dir, log levels',
      `${TLS('      cert_file: /b/cert.pem\n      key_file: /b/key.pem\n      crl_path: /b/crl.pem\n      ca_cert_path: /b/ca.pem\n      bouncers_allowed_ou: [x]\n      cache_expiration: 5m\n')}    profiles_path: /b/profiles.yaml\n    log_level: debug\ncommon:\n  log_level: trace\nconfig_paths:\n  notification_dir: /b/notifications\n`,
      [],
    ],
    ['the listen address', `${BASE}    listen_uri: 127.0.0.1:9999\n`, ['api.server.listen_uri']],
    [
      'client verification, and the database',
      `${TLS('      cert_file: /a/cert.pem\n      key_file: /a/key.pem\n      crl_path: /a/crl.pem\n      client_verification: RequireAndVerifyClientCert\n')}db_config:\n  db_path: /b/other.db\n`,
      ['db_config.db_path', 'api.server.tls.client_verification'],
    ],
    ['TLS turned off', 'api:\n  server:\n    listen_uri: 127.0.0.1:8080\n', ['api.server.tls', 'api.server.tls.cert_file']],
    [
      'prometheus and the admin API',
      `${BASE}  admin:\n    enabled: false\nprometheus:\n  listen_port: 7070\n`,
      ['api.admin.enabled', 'prometheus.listen_port'],
    ],
    [
      'the log output (the level alone is reloaded)',
      `${BASE}common:\n  log_level: debug\n  log_media: file\n  log_dir: /var/log/lapis\n  log_max_files: 7\n`,
      ['common.log_media', 'common.log_dir', 'common.log_max_size', 'common.log_max_files', 'common.log_max_age', 'common.compress_logs'],
    ],
  ];
  for (const [what, yaml, keys] of cases) {
    assert.deepEqual(restartKeys(base, testConfig(dir, yaml)), keys, what);
  }
});
