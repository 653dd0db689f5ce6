import { existsSync } from 'node:fs';
import { generatePassword } from '../../auth/password.js';
import type { Config } from '../../config/schema.js';
import { stringFlag, type LeafCommand } from '../args.js';
import { CliError } from '../context.js';
import {
  clientTls,
  credentialsYaml,
  generateMachineId,
  prepareApiUrl,
  readCredentials,
  writeCredentials,
  type ApiCredentials,
} from '../credentials.js';
import { apiError, isSuccess, postJson, statusLine, type ClientTls } from './http.js';

export interface LapiRegisterOptions {
  url?: string | undefined;
  machine?: string | undefined;
  file?: string | undefined;
  token?: string | undefined;
}

export interface LapiRegisterResult {
  machineId: string;
  password: string;
  url: string;
  file: string;
}

/**
 * `lapis lapi register`: registers a machine with `POST /v1/watchers` (a generated 64-char password) and
 * writes its credentials (url, login, password; other keys already in the file are kept). `info` gets
 * cscli's log lines in order. Throws CliError with cscli's messages.
 */
export async function lapiRegister(
  config: Config,
  opts: LapiRegisterOptions,
  info: (msg: string) => void = () => {},
): Promise<LapiRegisterResult> {
  const machineId = opts.machine || generateMachineId();
  const password = generatePassword();
  const file = opts.file || config.client.credentials_path;
  const existing: ApiCredentials = existsSync(file) ? readCredentials(file) : {};
  const given = opts.url || existing.url;
  if (!given) throw new CliError('parsing api url: no Local API URL. Please provide it in your configuration or with the -u parameter');
  const url = prepareApiUrl(given);
  if (!URL.canParse(url) || url.startsWith('/')) throw new CliError(`parsing api url: invalid URL '${url}'`);
  const body: Record<string, string> = { machine_id: machineId, password };
  if (opts.token) body.registration_token = opts.token;
  const reply = await postJson(`${url}v1/watchers`, body, registerTls(config, file, existing, url)).catch((err: unknown) => {
    throw err instanceof CliError ? new CliError(`api client register: ${err.message}`) : err;
  });
  if (!isSuccess(reply)) throw new CliError(`api client register: ${statusLine(reply)}: ${apiError(reply)}`);
  info('Successfully registered to Local API (LAPI)');
  writeCredentials(file, credentialsYaml({ ...existing, url, login: machineId, password }), 'write api credentials to');
  info(`Local API credentials written to '${file}'`);
  return { machineId, password, url, file };
}

/**
 * How register reaches an https URL (nothing is read for http): the CA (`ca_cert_path`) and `insecure_skip_verify` of the file being
 * written, else of `api.client.credentials_path` (where upstream reads them). Registration is a password
 * matter: a client certificate is not presented.
 */
function registerTls(config: Config, file: string, target: ApiCredentials, url: string): ClientTls | undefined {
  if (!url.startsWith('https://')) return undefined;
  let from = target;
  if (!target.ca_cert_path && file !== config.client.credentials_path && existsSync(config.client.credentials_path)) {
    from = readCredentials(config.client.credentials_path);
  }
  return clientTls({ url, ca_cert_path: from.ca_cert_path, insecure_skip_verify: from.insecure_skip_verify }, config);
}

export const registerCommand: LeafCommand = {
  name: 'register',
  summary: 'Register a machine to Local API (LAPI)',
  description:
    'Register your machine to the Local API (LAPI).\nKeep in mind the machine needs to be validated by an administrator on LAPI side to be effective.',
  examples: [
    'lapis lapi register -u http://127.0.0.1:8080',
    'lapis lapi register -u 10.0.0.1:8080 --machine web-01 -f ./creds.yaml',
    'lapis lapi register -u https://lapi.example:8080 -f ./creds.yaml   # with ca_cert_path: in ./creds.yaml',
  ],
  flags: {
    url: { type: 'string', short: 'u', description: 'URL of the API (ie. http://127.0.0.1)' },
    file: { type: 'string', short: 'f', description: 'output file destination (defaults to api.client.credentials_path)' },
    machine: { type: 'string', description: 'Name of the machine to register with' },
    token: { type: 'string', description: 'Auto registration token to use' },
  },
  args: { min: 0, max: Infinity },
  async run(ctx, _args, flags) {
    await lapiRegister(
      ctx.config(),
      {
        url: stringFlag(flags, 'url'),
        machine: stringFlag(flags, 'machine'),
        file: stringFlag(flags, 'file'),
        token: stringFlag(flags, 'token'),
      },
      (m) => ctx.out.info(m),
    );
  },
};
