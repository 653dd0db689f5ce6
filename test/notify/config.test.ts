import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { loadNotifiers, NotificationConfigError } from '../../src/notify/config.js';
import { tempDir } from '../helpers/app.js';
import { throwsExactly } from '../helpers/assert.js';

// Upstream's shipped http.yaml (config/notifications/http.yaml), keys uncommented.
const UPSTREAM_HTTP = `type: http          # Don't change
name: http_default # Must match the registered plugin in the profile

# One of "trace", "debug", "info", "warn", "error", "off"
log_level: info

group_wait: 30s
group_threshold: 10
max_retry: 3
timeout: 10s

format: |
  {{.|toJson}}

url: http://localhost:9999/alerts
method: POST
headers:
  Content-Type: application/json
  Authorization: token \${HOOK_TOKEN}
skip_tls_verification: false
`;

/** Writes `files` into a fresh dir and loads it. */
function loadDir(t: TestContext, files: Record<string, string>, env: NodeJS.ProcessEnv = {}) {
  const dir = tempDir(t, 'lapis-notify-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, notifiers: loadNotifiers(dir, { env }) };
}

/** Asserts that loading `yaml` (as http.yaml) fails with exactly `message`; `FILE` stands for its path. */
function failsWith(t: TestContext, yaml: string, message: string): void {
  const dir = tempDir(t, 'lapis-notify-');
  const file = join(dir, 'http.yaml');
  writeFileSync(file, yaml);
  throwsExactly(() => loadNotifiers(dir, { env: {} }), NotificationConfigError, message.replaceAll('FILE', file));
}

const DEFAULTS = ['type: http', 'name: hook', 'url: http://127.0.0.1:1/x', "format: '{{.|toJson}}'"];
/** A valid notifier with `extra` keys added or replacing the defaults. */
const base = (extra: string) => [...DEFAULTS.filter((line) => !new RegExp(`^${line.split(':')[0]}:`, 'm').test(extra)), extra].join('\n');

describe('notification config: loading', () => {
  test("upstream's http.yaml, with ${VAR} expanded in the http keys", (t) => {
    const { dir, notifiers } = loadDir(t, { 'http.yaml': UPSTREAM_HTTP }, { HOOK_TOKEN: 's3cret' });
    assert.equal(notifiers.length, 1);
    const n = notifiers[0]!;
    const { template, ...rest } = n;
    assert.equal(template.name, 'http_default');
    assert.deepEqual(rest, {
      type: 'http',
      name: 'http_default',
      file: join(dir, 'http.yaml'),
      logLevel: 'info',
      format: '{{.|toJson}}\n',
      url: 'http://localhost:9999/alerts',
      unixSocket: undefined,
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'token s3cret' },
      skipTlsVerification: false,
      tls: {},
      timeoutMs: 10_000,
      groupWaitMs: 30_000,
      groupThreshold: 10,
      maxRetry: 3,
    });
    assert.ok(Object.isFrozen(n));
  });

  test('defaults: POST, 5s timeout, no grouping, one retry, no headers, TLS verified', (t) => {
    const { notifiers } = loadDir(t, { 'a.yaml': base('') });
    const n = notifiers[0]!;
    assert.deepEqual(
      [n.method, n.timeoutMs, n.groupWaitMs, n.groupThreshold, n.maxRetry, n.headers, n.skipTlsVerification, n.logLevel],
      ['POST', 5000, 0, 0, 1, {}, false, undefined],
    );
  });

  test('several documents per file, several files, *.yml too; other files and subdirectories ignored', (t) => {
    const two = `${base('').replace('hook', 'one')}\n---\n---\n${base('method: PUT').replace('hook', 'two')}`;
    const dir = tempDir(t, 'lapis-notify-');
    writeFileSync(join(dir, 'b.yaml'), two);
    writeFileSync(join(dir, 'a.yml'), base('').replace('hook', 'zero'));
    writeFileSync(join(dir, 'README.md'), 'not yaml: [');
    writeFileSync(join(dir, 'old.yaml.bak'), 'not yaml: [');
    mkdirSync(join(dir, 'sub.yaml'));
    const notifiers = loadNotifiers(dir, { env: {} });
    assert.deepEqual(
      notifiers.map((n) => [n.name, n.method]),
      [
        ['zero', 'POST'],
        ['one', 'POST'],
        ['two', 'PUT'],
      ],
    );
  });

  test('a single file path', (t) => {
    const { dir } = loadDir(t, { 'h.yaml': base('') });
    assert.deepEqual(
      loadNotifiers(join(dir, 'h.yaml'), { env: {} }).map((n) => n.name),
      ['hook'],
    );
  });

  test('an empty directory has no notifiers', (t) => {
    assert.deepEqual(loadDir(t, {}).notifiers, []);
  });

  test('scalars as written, YAML 1.1 booleans, unix_socket without its trailing slash', (t) => {
    const { notifiers } = loadDir(t, {
      'a.yaml': base('headers:\n  X-Count: 0012\nskip_tls_verification: yes\nunix_socket: /run/hook.sock/\nmax_retry: 0\nlog_level: WARN'),
    });
    const n = notifiers[0]!;
    assert.deepEqual(
      [n.headers, n.skipTlsVerification, n.unixSocket, n.maxRetry, n.logLevel],
      [{ 'X-Count': '0012' }, true, '/run/hook.sock', 0, 'warn'],
    );
  });

  test('a CA file is read at load time', (t) => {
    const dir = tempDir(t, 'lapis-notify-');
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n');
    writeFileSync(join(dir, 'h.yaml'), base(`url: https://example.test/\nca_cert_path: ${join(dir, 'ca.pem')}`));
    assert.deepEqual(loadNotifiers(dir, { env: {} })[0]!.tls, { ca: '-----BEGIN CERTIFICATE-----\n' });
  });
});

describe('notification config: errors name the file, the notifier and the key', () => {
  const cases: Array<[string, string, string]> = [
    ['unknown key', base('webhook: https://x'), 'notifications: FILE: notifier "hook": webhook: unknown key'],
    [
      'slack type',
      'type: slack\nname: slack_default\nwebhook: https://hooks.slack.com/x\nformat: x\n',
      'notifications: FILE: notifier "slack_default": type: "slack" notifiers are not supported by Lapis (only "http" is built in)',
    ],
    [
      'email type',
      'type: email\nname: email_default\n',
      'notifications: FILE: notifier "email_default": type: "email" notifiers are not supported by Lapis (only "http" is built in)',
    ],
    ['missing type', 'name: hook\nurl: http://x/\n', 'notifications: FILE: notifier "hook": type: required'],
    ['missing name', 'type: http\nurl: http://x/\n', 'notifications: FILE: document 1: name: required'],
    ['missing name, second document', `${base('')}\n---\ntype: http\n`, 'notifications: FILE: document 2: name: required'],
    ['missing url', 'type: http\nname: hook\nformat: x\n', 'notifications: FILE: notifier "hook": url: required'],
    ['missing format', 'type: http\nname: hook\nurl: http://x/\n', 'notifications: FILE: notifier "hook": format: required'],
    [
      'bad duration',
      base('group_wait: 30 seconds'),
      'notifications: FILE: notifier "hook": group_wait: time: unknown unit " seconds" in duration "30 seconds"',
    ],
    ['duration without unit', base('timeout: "10"'), 'notifications: FILE: notifier "hook": timeout: time: missing unit in duration "10"'],
    ['duration as a number', base('timeout: 10'), 'notifications: FILE: notifier "hook": timeout: expected a duration such as "30s"'],
    ['negative duration', base('group_wait: -1s'), 'notifications: FILE: notifier "hook": group_wait: must not be negative'],
    ['threshold as a string', base('group_threshold: "10"'), 'notifications: FILE: notifier "hook": group_threshold: expected an integer'],
    ['negative retries', base('max_retry: -1'), 'notifications: FILE: notifier "hook": max_retry: must not be negative'],
    [
      'bad boolean',
      base('skip_tls_verification: maybe'),
      'notifications: FILE: notifier "hook": skip_tls_verification: expected true or false',
    ],
    [
      'bad template',
      base("format: '{{range .}}{{.Scenario}}'"),
      'notifications: FILE: notifier "hook": format: template: hook:1: unexpected EOF',
    ],
    [
      'unknown template function',
      base("format: '{{.|toYaml}}'"),
      'notifications: FILE: notifier "hook": format: template: hook:1: function "toYaml" not defined',
    ],
    ['bad URL', base('url: "::nope"'), 'notifications: FILE: notifier "hook": url: not a valid URL'],
    ['URL scheme', base('url: ftp://x/'), 'notifications: FILE: notifier "hook": url: scheme must be http or https, not "ftp"'],
    ['bad method', base('method: "PO ST"'), 'notifications: FILE: notifier "hook": method: invalid HTTP method "PO ST"'],
    [
      'headers not a mapping',
      base('headers: [a]'),
      'notifications: FILE: notifier "hook": headers: expected a mapping of header names to values',
    ],
    [
      'bad header value, not echoed',
      base('headers:\n  Authorization: "token \\nsecret"'),
      'notifications: FILE: notifier "hook": headers.Authorization: invalid header value',
    ],
    ['bad header name', base('headers:\n  "Bad Name": x'), 'notifications: FILE: notifier "hook": headers.Bad Name: invalid header name'],
    [
      'bad log level',
      base('log_level: verbose'),
      'notifications: FILE: notifier "hook": log_level: must be one of trace, debug, info, warn, error, off',
    ],
    [
      'cert without key',
      base('cert_path: /dev/null'),
      'notifications: FILE: notifier "hook": cert_path: cert_path and key_path go together',
    ],
    [
      'unreadable CA',
      base('ca_cert_path: /nonexistent/ca.pem'),
      'notifications: FILE: notifier "hook": ca_cert_path: cannot read /nonexistent/ca.pem: ENOENT',
    ],
    ['not a mapping', '- a\n- b\n', 'notifications: FILE: document 1: expected a YAML mapping'],
    [
      'YAML syntax',
      'type: http\nname: [hook\n',
      'notifications: FILE: Flow sequence in block collection must be sufficiently indented and end with a ] at line 3, column 1',
    ],
    ['duplicate key', 'type: http\ntype: http\n', 'notifications: FILE: Map keys must be unique at line 2, column 1'],
    ['name defined twice', `${base('')}\n---\n${base('')}`, 'notifications: FILE: notifier "hook": name: already defined in FILE'],
  ];
  for (const [what, yaml, message] of cases) test(what, (t) => failsWith(t, yaml, message));

  test('a path that does not exist', () => {
    assert.throws(() => loadNotifiers('/nonexistent/notifications', { env: {} }), {
      name: 'NotificationConfigError',
      message: 'notifications: cannot read /nonexistent/notifications: ENOENT',
    });
  });
});
