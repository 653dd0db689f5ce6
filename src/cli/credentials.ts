import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createSecureContext, rootCertificates } from 'node:tls';
import { isMap, isScalar, parseDocument, stringify } from 'yaml';
import { generatePassword } from '../auth/password.js';
import { servesTls, tlsSettings } from '../auth/tls.js';
import type { Config } from '../config/schema.js';
import { CliError } from './context.js';
import type { ClientTls } from './lapi/http.js';

/**
 * upstream's local_api_credentials.yaml (csconfig.ApiCredentialsCfg): `url`, `login`, `password`, plus
 * optional TLS paths. Lapis also accepts `insecure_skip_verify` here. Other keys are refused, as
 * upstream decodes it with KnownFields(true).
 */
export interface ApiCredentials {
  papi_url?: string;
  url?: string;
  login?: string;
  password?: string;
  ca_cert_path?: string;
  cert_path?: string;
  key_path?: string;
  insecure_skip_verify?: boolean;
}

const STRING_KEYS = ['papi_url', 'url', 'login', 'password', 'ca_cert_path', 'cert_path', 'key_path'] as const;
const BOOL_KEYS = ['insecure_skip_verify'] as const;

/** Go's wording for the usual file errors (`open <path>: no such file or directory`). */
export function goFileError(op: string, path: string, err: NodeJS.ErrnoException): string {
  const why: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
  };
  return `${op} ${path}: ${(err.code && why[err.code]) ?? err.message}`;
}

function parseCredentialsText(text: string, path: string): ApiCredentials {
  const fail = (msg: string) => new CliError(`failed to unmarshal api client credential configuration file '${path}': ${msg}`);
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors[0]) throw fail(doc.errors[0].message.split('\n')[0]!);
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return {};
  if (!isMap(root)) throw fail('expected a YAML mapping');
  const out: Record<string, unknown> = {};
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const line = doc.range && isScalar(pair.key) && pair.key.range ? lineOf(text, pair.key.range[0]) : 0;
    const v = pair.value;
    if ((STRING_KEYS as readonly string[]).includes(key)) {
      if (v === null || (isScalar(v) && v.value === null)) continue;
      // as yaml.v3 into a string field: the scalar's text as written (`password: 0123` stays "0123")
      if (!isScalar(v)) throw fail(`line ${line}: cannot unmarshal a non-scalar into ${key}`);
      out[key] = typeof v.value === 'string' ? v.value : (v.source ?? String(v.value));
    } else if ((BOOL_KEYS as readonly string[]).includes(key)) {
      if (!isScalar(v) || typeof v.value !== 'boolean') throw fail(`line ${line}: ${key} must be true or false`);
      out[key] = v.value;
    } else {
      throw fail(`line ${line}: field ${key} not found in type csconfig.ApiCredentialsCfg`);
    }
  }
  return out as ApiCredentials;
}

function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') n++;
  return n;
}

function readText(path: string, prefix: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`${prefix}${goFileError('open', path, err as NodeJS.ErrnoException)}`);
  }
}

/**
 * Reads a credentials file and its `.local` overlay (key by key), as the API client loads it.
 * Throws CliError with upstream's messages; does not check that a URL is present.
 */
export function readCredentials(path: string): ApiCredentials {
  const creds = parseCredentialsText(readText(path, 'loading api client: while reading yaml file: '), path);
  const local = `${path}.local`;
  if (existsSync(local))
    Object.assign(creds, parseCredentialsText(readText(local, 'loading api client: while reading yaml file: '), local));
  return creds;
}

/** The credentials a client needs: refuses a file without a URL as upstream does. */
export function loadClientCredentials(path: string): ApiCredentials & { url: string } {
  const creds = readCredentials(path);
  if (!creds.url) throw new CliError(`no credentials or URL found in api client configuration '${path}'`);
  return creds as ApiCredentials & { url: string };
}

/** Whether the credentials ask for client-certificate authentication (upstream: `cert_path` or `key_path`). */
export const usesClientCertificate = (c: ApiCredentials): boolean => Boolean(c.cert_path || c.key_path);

/**
 * The TLS a client uses with these credentials, with upstream's checks (LoadAPIClient) and messages,
 * prefixed `loading api client: `: no TLS over a unix socket, no password login together with a
 * certificate. Trusts the system CAs plus `ca_cert_path`; presents `cert_path`/`key_path` when both
 * are set. `insecure_skip_verify` in the file wins over `api.client.insecure_skip_verify`.
 */
export function clientTls(creds: ApiCredentials & { url: string }, config: Config): ClientTls {
  const fail = (msg: string) => new CliError(`loading api client: ${msg}`);
  const certAuth = usesClientCertificate(creds);
  if ((certAuth || creds.ca_cert_path) && creds.url.startsWith('/')) throw fail('cannot use TLS with a unix socket');
  if (certAuth && creds.login) throw fail('user/password authentication and TLS authentication are mutually exclusive');
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw fail(`${what}: ${goFileError('open', path, err as NodeJS.ErrnoException)}`);
    }
  };
  const out: ClientTls = { rejectUnauthorized: !(creds.insecure_skip_verify ?? config.client.insecure_skip_verify) };
  if (creds.ca_cert_path) out.ca = [...rootCertificates, read(creds.ca_cert_path, 'failed to load cacert').toString('utf8')];
  if (creds.cert_path && creds.key_path) {
    out.cert = read(creds.cert_path, 'failed to load api client certificate');
    out.key = read(creds.key_path, 'failed to load api client certificate');
    try {
      createSecureContext({ cert: out.cert, key: out.key });
    } catch (err) {
      throw fail(`failed to load api client certificate: ${(err as Error).message}`);
    }
  }
  return out;
}

/** The YAML cscli writes: `url`, `login`, `password` first, then any other key kept from the file. */
export function credentialsYaml(creds: ApiCredentials): string {
  const { url, login, password, ...rest } = creds;
  const ordered: Record<string, unknown> = {};
  for (const [k, v] of Object.entries({ url, login, password, ...rest })) if (v !== undefined && v !== '') ordered[k] = v;
  return stringify(ordered, { lineWidth: 0 });
}

/** Writes a credentials file with mode 0600, creating its directory. Errors as upstream's. */
export function writeCredentials(path: string, yaml: string, what = 'write api credentials in'): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, yaml, { mode: 0o600 });
  } catch (err) {
    throw new CliError(`${what} '${path}' failed: ${goFileError('open', path, err as NodeJS.ErrnoException)}`);
  }
}

/** The URL clients use to reach this Local API: `http(s)://<listen_uri>` (IPv6 hosts bracketed). */
export function clientUrl(config: Config): string {
  const { host, port } = config.listen;
  return `${servesTls(tlsSettings(config)) ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** As upstream's idgen.GenerateMachineID: the host's machine-id (else a random UUID), dashes removed, plus 16 random characters. */
export function generateMachineId(): string {
  let prefix: string | undefined;
  for (const p of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      const id = readFileSync(p, 'utf8').trim();
      if (id !== '') {
        prefix = id;
        break;
      }
    } catch {
      // try the next one
    }
  }
  prefix = (prefix ?? randomUUID()).replace(/-/g, '').slice(0, 32);
  return prefix + generatePassword(16);
}

/**
 * cscli's prepareAPIURL: a trailing `/` is added, and `http://` is prepended unless the URL starts with
 * `http://`, `https://` or `/` (a socket path).
 */
export function prepareApiUrl(raw: string): string {
  let u = raw.endsWith('/') ? raw : `${raw}/`;
  if (!u.startsWith('http://') && !u.startsWith('https://') && !u.startsWith('/')) u = `http://${u}`;
  return u;
}
