import { readdirSync, readFileSync, statSync } from 'node:fs';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { join } from 'node:path';
import { isAlias, isMap, isScalar, parseAllDocuments, type Document, type YAMLMap } from 'yaml';
import { expandEnv } from '../config/env.js';
import { DurationError, parseGoDuration } from '../domain/duration.js';
import { parseTemplate, TemplateError, type Template } from '../gotemplate/template.js';
import { InvalidValueError } from '../errors.js';

/**
 * Notification plugin files, as upstream's `config_paths.notification_dir` (/etc/crowdsec/notifications/):
 * one or several YAML documents per file, each one notifier. Only the `http` type is built in.
 * The broker's keys (pkg/csplugin/broker.go PluginConfig) and the http plugin's (cmd/notification-http)
 * are accepted; any other key is an error, as is every bad value, with the file, the notifier and the key.
 */
export class NotificationConfigError extends InvalidValueError {
  override name = 'NotificationConfigError';
}

export type NotifierLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'off';

export interface HttpNotifierConfig {
  readonly type: 'http';
  readonly name: string;
  /** The file it was read from. */
  readonly file: string;
  /** Filters this notifier's own log lines; undefined leaves it to the logger. */
  readonly logLevel: NotifierLogLevel | undefined;
  readonly format: string;
  readonly template: Template;
  readonly url: string;
  /** `unix_socket`: the request goes through this socket instead of a TCP connection to the URL's host. */
  readonly unixSocket: string | undefined;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly skipTlsVerification: boolean;
  /** PEM contents of `ca_cert_path` (added to the system roots), `cert_path` and `key_path`. */
  readonly tls: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  readonly timeoutMs: number;
  /** Alerts are held this long, then sent together (0: no waiting). */
  readonly groupWaitMs: number;
  /** A message is sent as soon as this many alerts are held, and carries at most this many (0: no limit). */
  readonly groupThreshold: number;
  /** Retries after a failed attempt (network error, timeout, 5xx, 429), so max_retry + 1 attempts at most. */
  readonly maxRetry: number;
}

export type NotifierConfig = HttpNotifierConfig;

export interface LoadNotifiersOptions {
  /** For `${VAR}` in the http keys and for the template's `env`; the caller passes process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Upstream's notifier types; only `http` is built into Lapis. */
const BROKER_KEYS = ['type', 'name', 'format', 'group_wait', 'group_threshold', 'max_retry', 'timeout'];
/** The http plugin's keys: upstream expands `${VAR}` in these (not in the broker's). */
const HTTP_KEYS = [
  'url',
  'unix_socket',
  'method',
  'headers',
  'skip_tls_verification',
  'log_level',
  'cert_path',
  'key_path',
  'ca_cert_path',
];
const KNOWN = new Set([...BROKER_KEYS, ...HTTP_KEYS]);
const LOG_LEVELS: readonly NotifierLogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'off'];
/** YAML 1.1 booleans, which yaml.v3 still accepts for a bool field. */
const BOOLS: Record<string, boolean> = Object.fromEntries([
  ...['true', 'True', 'TRUE', 'y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON'].map((w) => [w, true]),
  ...['false', 'False', 'FALSE', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'].map((w) => [w, false]),
]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DEFAULT_TIMEOUT_MS = 5_000;

/** Reads one YAML document's keys, failing with `notifications: FILE: notifier "NAME": KEY: why`. */
class DocReader {
  label: string;

  constructor(
    readonly file: string,
    index: number,
    readonly doc: Document,
    readonly map: YAMLMap,
    readonly env: NodeJS.ProcessEnv,
  ) {
    this.label = `document ${index + 1}`;
  }

  fail(key: string, why: string): never {
    throw new NotificationConfigError(`notifications: ${this.file}: ${this.label}: ${key}: ${why}`);
  }

  node(key: string): unknown {
    const node = this.map.get(key, true);
    return isAlias(node) ? node.resolve(this.doc) : node;
  }

  /** A string as written (`method: 123` is "123"), `${VAR}`-expanded for the http keys; undefined when absent or null. */
  string(key: string): string | undefined {
    const node = this.node(key);
    if (node === undefined) return undefined;
    if (!isScalar(node)) this.fail(key, 'expected a string');
    if (node.value === null) return undefined;
    const text = typeof node.value === 'string' ? node.value : (node.source ?? String(node.value));
    return HTTP_KEYS.includes(key) ? expandEnv(text, this.env) : text;
  }

  isSet(key: string): boolean {
    const node = this.node(key);
    return node !== undefined && !(isScalar(node) && node.value === null);
  }

  required(key: string): string {
    const value = this.string(key);
    if (value === undefined || value === '') this.fail(key, 'required');
    return value;
  }

  int(key: string): number {
    if (!this.isSet(key)) return 0;
    const node = this.node(key);
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isSafeInteger(node.value)) this.fail(key, 'expected an integer');
    if (node.value < 0) this.fail(key, 'must not be negative');
    return node.value;
  }

  bool(key: string): boolean {
    if (!this.isSet(key)) return false;
    const node = this.node(key);
    if (!isScalar(node)) return this.fail(key, 'expected true or false');
    if (typeof node.value === 'boolean') return node.value;
    const text = this.string(key);
    if (text !== undefined && Object.hasOwn(BOOLS, text)) return BOOLS[text]!;
    return this.fail(key, 'expected true or false');
  }

  /** A Go duration string (time.ParseDuration, as yaml decodes a time.Duration), in ms; 0 when absent. */
  duration(key: string): number {
    if (!this.isSet(key)) return 0;
    const node = this.node(key);
    if (!isScalar(node) || typeof node.value !== 'string') this.fail(key, 'expected a duration such as "30s"');
    let ms: number;
    try {
      ms = parseGoDuration(node.value);
    } catch (err) {
      if (err instanceof DurationError) this.fail(key, err.message);
      throw err;
    }
    if (ms < 0) this.fail(key, 'must not be negative');
    return ms;
  }

  headers(): Record<string, string> {
    const out: Record<string, string> = {};
    if (!this.isSet('headers')) return out;
    const node = this.node('headers');
    if (!isMap(node)) this.fail('headers', 'expected a mapping of header names to values');
    for (const pair of node.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : '';
      const value = isAlias(pair.value) ? pair.value.resolve(this.doc) : pair.value;
      if (!isScalar(value)) this.fail(`headers.${name}`, 'expected a string');
      const text = value.value === null ? '' : typeof value.value === 'string' ? value.value : (value.source ?? String(value.value));
      try {
        validateHeaderName(name);
      } catch {
        this.fail(`headers.${name}`, 'invalid header name');
      }
      const expanded = expandEnv(text, this.env);
      try {
        validateHeaderValue(name, expanded);
      } catch {
        // The value may be a secret: it is not repeated.
        this.fail(`headers.${name}`, 'invalid header value');
      }
      out[name] = expanded;
    }
    return out;
  }

  pem(key: string): string | undefined {
    const path = this.string(key);
    if (path === undefined || path === '') return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      return this.fail(key, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
}

function readNotifier(r: DocReader): NotifierConfig {
  const name = r.required('name');
  r.label = `notifier ${JSON.stringify(name)}`;
  const type = r.required('type');
  if (type !== 'http') {
    r.fail('type', `${JSON.stringify(type)} notifiers are not supported by Lapis (only "http" is built in)`);
  }
  for (const pair of r.map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    if (!KNOWN.has(key)) r.fail(key, 'unknown key');
  }

  const format = r.required('format');
  let template: Template;
  try {
    template = parseTemplate(name, format, { env: r.env });
  } catch (err) {
    if (err instanceof TemplateError) r.fail('format', err.message);
    throw err;
  }

  const url = r.required('url');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL may carry a token: it is not repeated.
    return r.fail('url', 'not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    r.fail('url', `scheme must be http or https, not ${JSON.stringify(parsed.protocol.slice(0, -1))}`);

  const method = r.string('method') ?? 'POST';
  if (!TOKEN.test(method)) r.fail('method', `invalid HTTP method ${JSON.stringify(method)}`);

  const level = r.string('log_level')?.toLowerCase();
  if (level !== undefined && level !== '' && !LOG_LEVELS.includes(level as NotifierLogLevel)) {
    r.fail('log_level', `must be one of ${LOG_LEVELS.join(', ')}`);
  }

  const cert = r.pem('cert_path');
  const key = r.pem('key_path');
  if ((cert === undefined) !== (key === undefined))
    r.fail(cert === undefined ? 'key_path' : 'cert_path', 'cert_path and key_path go together');
  const ca = r.pem('ca_cert_path');

  return Object.freeze({
    type: 'http',
    name,
    file: r.file,
    logLevel: level === undefined || level === '' ? undefined : (level as NotifierLogLevel),
    format,
    template,
    url,
    unixSocket: r.string('unix_socket')?.replace(/\/$/, '') || undefined,
    method,
    headers: Object.freeze(r.headers()),
    skipTlsVerification: r.bool('skip_tls_verification'),
    tls: Object.freeze({ ...(ca !== undefined && { ca }), ...(cert !== undefined && { cert }), ...(key !== undefined && { key }) }),
    // As upstream's PluginConfig.UnmarshalYAML: an unset (or zero) timeout is 5s.
    timeoutMs: r.duration('timeout') || DEFAULT_TIMEOUT_MS,
    groupWaitMs: r.duration('group_wait'),
    groupThreshold: r.int('group_threshold'),
    maxRetry: r.isSet('max_retry') ? r.int('max_retry') : 1,
  } satisfies HttpNotifierConfig);
}

/** The notifiers of one file's text; `file` names it in errors. Empty documents are skipped, as upstream. */
export function parseNotifiers(text: string, file: string, options: LoadNotifiersOptions = {}): NotifierConfig[] {
  const env = options.env ?? process.env;
  const out: NotifierConfig[] = [];
  parseAllDocuments(text).forEach((doc, index) => {
    const err = doc.errors[0];
    if (err) throw new NotificationConfigError(`notifications: ${file}: ${err.message.split('\n')[0]!.replace(/:$/, '')}`);
    const contents = doc.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) return;
    if (!isMap(contents)) throw new NotificationConfigError(`notifications: ${file}: document ${index + 1}: expected a YAML mapping`);
    if (contents.items.length === 0) return;
    out.push(readNotifier(new DocReader(file, index, doc as Document, contents, env)));
  });
  return out;
}

/**
 * Loads a notification file, or every `*.yaml` / `*.yml` file of a directory (in name order, not
 * recursing), as upstream's notification_dir. Never returns two notifiers with one name.
 * Throws NotificationConfigError, whose message names the file, the notifier and the key.
 */
export function loadNotifiers(pathOrDir: string, options: LoadNotifiersOptions = {}): NotifierConfig[] {
  let files: string[];
  try {
    files = statSync(pathOrDir).isDirectory()
      ? readdirSync(pathOrDir, { withFileTypes: true })
          .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
          .map((e) => join(pathOrDir, e.name))
          .sort()
      : [pathOrDir];
  } catch (err) {
    throw new NotificationConfigError(
      `notifications: cannot read ${pathOrDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const byName = new Map<string, NotifierConfig>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new NotificationConfigError(
        `notifications: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    for (const n of parseNotifiers(text, file, options)) {
      const seen = byName.get(n.name);
      // Upstream warns and keeps the last one; a silent override is a mistake waiting to happen.
      if (seen)
        throw new NotificationConfigError(
          `notifications: ${file}: notifier ${JSON.stringify(n.name)}: name: already defined in ${seen.file}`,
        );
      byName.set(n.name, n);
    }
  }
  return [...byName.values()];
}
