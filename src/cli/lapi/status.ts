import type { Config } from '../../config/schema.js';
import type { LeafCommand } from '../args.js';
import { CliError } from '../context.js';
import { clientTls, loadClientCredentials } from '../credentials.js';
import { apiError, isSuccess, postJson } from './http.js';

export interface LapiStatusIo {
  /** Result lines (stdout). */
  print(line: string): void;
  /** Warnings (stderr). */
  warn(line: string): void;
}

/** The URL as upstream's client config normalises it: an http(s) URL gets a trailing `/`. */
export function normalizeClientUrl(url: string): string {
  return url.startsWith('http') && !url.endsWith('/') ? `${url}/` : url;
}

/**
 * `lapis lapi status`: reads the credentials file, logs in with `POST /v1/watchers/login` (with the
 * password, or over HTTPS with the client certificate of `cert_path`/`key_path`) and reports.
 * Throws CliError with cscli's messages (`failed to authenticate to Local API (LAPI): API error: …`).
 */
export async function lapiStatus(config: Config, io: LapiStatusIo, path = config.client.credentials_path): Promise<void> {
  const creds = loadClientCredentials(path);
  const url = normalizeClientUrl(creds.url);
  // upstream checks the TLS settings as it loads the client configuration: before printing anything
  const tls = clientTls({ ...creds, url }, config);
  io.print(`Loaded credentials from ${path}`);
  if (creds.login) io.print(`Trying to authenticate with username "${creds.login}" on ${url}`);
  if (creds.cert_path) io.print(`Trying to authenticate with certificate "${creds.cert_path}" on ${url}`);
  if (!/^https?:\/\//.test(url))
    throw new CliError(`failed to authenticate to Local API (LAPI): unsupported URL '${url}' (only http:// and https:// are supported)`);
  // with a certificate, the server ignores the (empty) login and password and reads only the scenarios
  const body = { machine_id: creds.login ?? '', password: creds.password ?? '', scenarios: [] };
  const reply = await postJson(`${url}v1/watchers/login`, body, tls).catch((err: unknown) => {
    throw err instanceof CliError ? new CliError(`failed to authenticate to Local API (LAPI): ${err.message}`) : err;
  });
  if (!isSuccess(reply)) throw new CliError(`failed to authenticate to Local API (LAPI): ${apiError(reply)}`);
  io.print('You can successfully interact with Local API (LAPI)');
}

export const statusCommand: LeafCommand = {
  name: 'status',
  summary: 'Check authentication to Local API (LAPI)',
  args: { min: 0, max: Infinity },
  async run(ctx) {
    await lapiStatus(ctx.config(), { print: (l) => ctx.out.line(l), warn: (l) => ctx.out.warn(l) });
  },
};
