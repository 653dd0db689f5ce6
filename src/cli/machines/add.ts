import { existsSync } from 'node:fs';
import { generatePassword, hashPassword, MAX_PASSWORD_BYTES } from '../../auth/password.js';
import type { Config } from '../../config/schema.js';
import { UserExistsError } from '../../errors.js';
import type { Db } from '../../store/db.js';
import { createMachine, setMachinePassword } from '../../store/machines.js';
import { boolFlag, stringFlag, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { clientUrl, credentialsYaml, generateMachineId, writeCredentials } from '../credentials.js';

export interface MachinesAddOptions {
  name?: string | undefined;
  password?: string | undefined;
  /** Generate the password, and the name when none is given. */
  auto?: boolean;
  /** Where the credentials go: a path, `-` for stdout; default `api.client.credentials_path`. */
  file?: string | undefined;
  url?: string | undefined;
  /** Overwrite an existing machine's password and the default credentials file. */
  force?: boolean;
}

export interface MachinesAddResult {
  machineId: string;
  password: string;
  url: string;
  /** The file written, or `-` when the YAML is for stdout. */
  file: string;
  yaml: string;
}

/** Refuses passwords bcrypt would truncate, as upstream's MachinePassword flag does. */
export function checkPasswordLength(password: string | undefined): void {
  if (password !== undefined && Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw new CliError(`password too long (max ${MAX_PASSWORD_BYTES} characters)`);
  }
}

/**
 * `lapis machines add`: creates a validated machine with an empty IP and writes its credentials file
 * (unless `file` is `-`: the YAML is then returned for stdout). `notice` receives cscli's stderr lines in
 * order. Throws CliError with cscli's messages.
 */
export async function machinesAdd(
  db: Db,
  config: Config,
  opts: MachinesAddOptions,
  notice: (msg: string) => void = () => {},
  now = Date.now(),
): Promise<MachinesAddResult> {
  checkPasswordLength(opts.password);
  let machineId = opts.name;
  if (machineId === undefined) {
    if (!opts.auto) throw new CliError('please specify a machine name to add, or use --auto');
    machineId = generateMachineId();
  }
  let file = opts.file ?? '';
  if (file === '') {
    // the default file is used only if it does not exist yet
    const def = config.client.credentials_path;
    if (existsSync(def) && !opts.force) {
      throw new CliError(
        `credentials file '${def}' already exists: please remove it, use "--force" or specify a different file with "-f" ("-f -" for standard output)`,
      );
    }
    file = def;
  }
  let password = opts.password ?? '';
  if (password === '') {
    if (!opts.auto) throw new CliError('please specify a password with --password or use --auto');
    password = generatePassword();
  }
  const passwordHash = await hashPassword(password);
  try {
    await createMachine(db, { machineId, passwordHash, ipAddress: '', isValidated: true }, now);
  } catch (err) {
    if (!(err instanceof UserExistsError)) throw err;
    if (!opts.force) throw new CliError(`unable to create machine: ${err.message}`);
    await setMachinePassword(db, machineId, passwordHash, now);
  }
  notice(`Machine '${machineId}' successfully added to the local API.`);
  const url = opts.url || clientUrl(config);
  const yaml = credentialsYaml({ url, login: machineId, password });
  if (file !== '-') {
    writeCredentials(file, yaml);
    notice(`API credentials written to '${file}'.`);
  }
  return { machineId, password, url, file, yaml };
}

export const addCommand: LeafCommand = {
  name: 'add',
  usage: '[NAME]',
  summary: 'add a single machine to the database',
  description: 'Register a new machine in the database. lapis should be on the same machine as the Local API.',
  examples: [
    'lapis machines add --auto',
    'lapis machines add MyTestMachine --auto',
    'lapis machines add MyTestMachine --password MyPassword',
    'lapis machines add -f- --auto > /tmp/mycreds.yaml',
  ],
  flags: {
    password: { type: 'string', short: 'p', description: 'machine password to login to the API' },
    file: {
      type: 'string',
      short: 'f',
      description: 'output file destination (defaults to api.client.credentials_path; "-" for standard output)',
    },
    url: { type: 'string', short: 'u', description: 'URL of the local API (defaults to http://<api.server.listen_uri>)' },
    auto: { type: 'boolean', short: 'a', description: 'automatically generate password (and username if not provided)' },
    force: { type: 'boolean', description: 'will force add the machine if it already exists' },
  },
  args: { min: 0, max: 1 },
  async run(ctx, [name], flags) {
    const password = stringFlag(flags, 'password');
    checkPasswordLength(password);
    const opts: MachinesAddOptions = {
      name,
      password,
      auto: boolFlag(flags, 'auto'),
      file: stringFlag(flags, 'file'),
      url: stringFlag(flags, 'url'),
      force: boolFlag(flags, 'force'),
    };
    const r = await withDb(ctx, (db, config) => machinesAdd(db, config, opts, (m) => ctx.out.notice(m)));
    // as upstream: `-f -` prints the credentials on stdout, so that they can be redirected
    if (r.file === '-') ctx.out.out(r.yaml);
  },
};
