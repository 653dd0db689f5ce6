import { InvalidValueError, LapisError } from '../errors.js';
import { checkArgCount, commandPath, GLOBAL_FLAGS, isGroup, parseFlags, resolveCommand, stringFlag, type GroupCommand } from './args.js';
import { helpText } from './help.js';
import { addCommand as allowlistsAdd } from './allowlists/add.js';
import { checkCommand as allowlistsCheck } from './allowlists/check.js';
import { createCommand as allowlistsCreate } from './allowlists/create.js';
import { deleteCommand as allowlistsDelete } from './allowlists/delete.js';
import { importCommand as allowlistsImport } from './allowlists/import.js';
import { inspectCommand as allowlistsInspect } from './allowlists/inspect.js';
import { listCommand as allowlistsList } from './allowlists/list.js';
import { removeCommand as allowlistsRemove } from './allowlists/remove.js';
import { subscribeCommand as allowlistsSubscribe } from './allowlists/subscribe.js';
import { unsubscribeCommand as allowlistsUnsubscribe } from './allowlists/unsubscribe.js';
import { addCommand as apikeysAdd } from './apikeys/add.js';
import { deleteCommand as apikeysDelete } from './apikeys/delete.js';
import { listCommand as apikeysList } from './apikeys/list.js';
import { addCommand as blocklistsAdd } from './blocklists/add.js';
import { createCommand as blocklistsCreate } from './blocklists/create.js';
import { deleteCommand as blocklistsDelete } from './blocklists/delete.js';
import { downloadCommand as blocklistsDownload } from './blocklists/download.js';
import { importCommand as blocklistsImport } from './blocklists/import.js';
import { inspectCommand as blocklistsInspect } from './blocklists/inspect.js';
import { listCommand as blocklistsList } from './blocklists/list.js';
import { removeCommand as blocklistsRemove } from './blocklists/remove.js';
import { subscribeCommand as blocklistsSubscribe } from './blocklists/subscribe.js';
import { unsubscribeCommand as blocklistsUnsubscribe } from './blocklists/unsubscribe.js';
import { addCommand as bouncersAdd } from './bouncers/add.js';
import { deleteCommand as bouncersDelete } from './bouncers/delete.js';
import { inspectCommand as bouncersInspect } from './bouncers/inspect.js';
import { listCommand as bouncersList } from './bouncers/list.js';
import { pruneCommand as bouncersPrune } from './bouncers/prune.js';
import { tagCommand as bouncersTag } from './bouncers/tag.js';
import { CliError, makeConfigLoader, type CliIo, type Ctx } from './context.js';
import { addCommand as decisionsAdd } from './decisions/add.js';
import { deleteCommand as decisionsDelete } from './decisions/delete.js';
import { importCommand as decisionsImport } from './decisions/import.js';
import { listCommand as decisionsList } from './decisions/list.js';
import { deleteCommand as alertsDelete } from './alerts/delete.js';
import { flushCommand as alertsFlush } from './alerts/flush.js';
import { inspectCommand as alertsInspect } from './alerts/inspect.js';
import { listCommand as alertsList } from './alerts/list.js';
import { createCommand as integrationsCreate } from './integrations/create.js';
import { deleteCommand as integrationsDelete } from './integrations/delete.js';
import { inspectCommand as integrationsInspect } from './integrations/inspect.js';
import { listCommand as integrationsList } from './integrations/list.js';
import { updateCommand as integrationsUpdate } from './integrations/update.js';
import { registerCommand } from './lapi/register.js';
import { statusCommand } from './lapi/status.js';
import { addCommand as machinesAdd } from './machines/add.js';
import { deleteCommand as machinesDelete } from './machines/delete.js';
import { inspectCommand as machinesInspect } from './machines/inspect.js';
import { listCommand as machinesList } from './machines/list.js';
import { pruneCommand as machinesPrune } from './machines/prune.js';
import { tagCommand as machinesTag } from './machines/tag.js';
import { validateCommand as machinesValidate } from './machines/validate.js';
import { metricsCommand } from './metrics.js';
import { migrateCommand } from './migrate.js';
import { isOutputFormat, Printer } from './output.js';
import { checkCommand as profilesCheck } from './profiles/check.js';
import { testCommand as profilesTest } from './profiles/test.js';
import { serveCommand } from './serve.js';
import { lapisVersion } from '../version.js';
import { backupCommand } from './backup.js';
import { openApiCommand } from './openapi.js';
import { statusCommand as lapisStatusCommand } from './status.js';

export const ROOT: GroupCommand = {
  name: 'lapis',
  summary: 'lapis',
  description: 'lapis: a CrowdSec-compatible Local API server and its admin CLI',
  commands: [
    serveCommand,
    migrateCommand,
    backupCommand,
    openApiCommand,
    lapisStatusCommand,
    {
      name: 'machines',
      aliases: ['machine'],
      summary: 'Manage local API machines [requires local API]',
      description:
        'To list/add/delete/validate/prune machines.\nNote: This command requires database direct access, so is intended to be run on the local API machine.',
      commands: [machinesList, machinesAdd, machinesDelete, machinesValidate, machinesPrune, machinesInspect, machinesTag],
    },
    {
      name: 'bouncers',
      aliases: ['bouncer'],
      summary: 'Manage bouncers [requires local API]',
      description:
        'To list/add/delete/prune bouncers.\nNote: This command requires database direct access, so is intended to be run on the local API machine.',
      commands: [bouncersList, bouncersAdd, bouncersDelete, bouncersPrune, bouncersInspect, bouncersTag],
    },
    {
      name: 'apikeys',
      aliases: ['apikey'],
      summary: 'Manage admin API keys [requires local API]',
      description:
        'To add/list/delete the keys of the admin API (allowlists over REST, on api.admin.listen_uri, default 127.0.0.1:8081).\nNote: This command requires database direct access, so is intended to be run on the local API machine.',
      commands: [apikeysList, apikeysAdd, apikeysDelete],
    },
    {
      name: 'allowlists',
      aliases: ['allowlist'],
      summary: 'Manage centralized allowlists',
      description:
        'Create, fill, inspect, check and delete allowlists, and choose where they apply (subscribe/unsubscribe).\nA list applies to what subscribes to it: the organization (everywhere: new lists get this by default), machines, bouncers or tags.\nNote: this command acts on the database directly; a running server picks the changes up as they commit (within half a second on MySQL).',
      commands: [
        allowlistsCreate,
        allowlistsList,
        allowlistsInspect,
        allowlistsAdd,
        allowlistsImport,
        allowlistsRemove,
        allowlistsDelete,
        allowlistsCheck,
        allowlistsSubscribe,
        allowlistsUnsubscribe,
      ],
    },
    {
      name: 'blocklists',
      aliases: ['blocklist'],
      summary: 'Manage blocklists',
      description:
        "Create, fill, inspect, download and delete blocklists, and choose who is served them (subscribe/unsubscribe).\nA list subscribed by the organization, a tag, machines or bouncers becomes decisions (origin lists) for those bouncers; firewall integrations read it as text. The built-in list 'lapi' holds this instance's own decisions.\nNote: this command acts on the database directly; a running server picks the changes up as they commit (within half a second on MySQL).",
      commands: [
        blocklistsCreate,
        blocklistsList,
        blocklistsInspect,
        blocklistsAdd,
        blocklistsImport,
        blocklistsRemove,
        blocklistsDownload,
        blocklistsDelete,
        blocklistsSubscribe,
        blocklistsUnsubscribe,
      ],
    },
    {
      name: 'integrations',
      aliases: ['integration'],
      summary: 'Manage firewall and remediation component integrations',
      description:
        'Create, list, inspect, update and delete integrations: firewalls that pull blocklists as text (HTTP Basic) and bouncers that read them with the LAPI stream protocol (an API key). Credentials are shown once.\nNote: this command acts on the database directly; a running server picks the changes up as they commit.',
      commands: [integrationsCreate, integrationsList, integrationsInspect, integrationsUpdate, integrationsDelete],
    },
    {
      name: 'lapi',
      summary: 'Manage interaction with Local API (LAPI)',
      commands: [registerCommand, statusCommand],
    },
    {
      name: 'decisions',
      aliases: ['decision'],
      summary: 'Manage decisions',
      description:
        'Add, list, delete and import decisions.\nNote: this command acts on the database directly; a running server picks the changes up as they commit (within half a second on MySQL).',
      commands: [decisionsList, decisionsAdd, decisionsDelete, decisionsImport],
    },
    {
      name: 'alerts',
      aliases: ['alert'],
      summary: 'Manage alerts',
      commands: [alertsList, alertsInspect, alertsDelete, alertsFlush],
    },
    {
      name: 'profiles',
      aliases: ['profile'],
      summary: 'Check the profiles that turn alerts into decisions',
      commands: [profilesCheck, profilesTest],
    },
    metricsCommand,
  ],
};

/**
 * A failure the user caused or can fix: a bad flag or argument (CliError), a value that does not parse
 * (InvalidValueError: an IP, a duration, a config key…), or a refusal of the store (LapisError: not found,
 * already exists). Only other errors are bugs, whose stack LAPIS_DEBUG prints.
 */
function isUserError(err: unknown): boolean {
  return err instanceof CliError || err instanceof InvalidValueError || err instanceof LapisError;
}

function messageOf(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  // one line, whatever the error carried
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Runs one `lapis` command line and returns its exit code. Results go to `io.stdout`, messages to
 * `io.stderr`; a failure is one line `Error: <command path>: <message>` and exit code 1.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // `lapis --version`: what an installed package answers before anything else (no config is read)
  if (argv.length === 1 && argv[0] === '--version') {
    io.stdout.write(`lapis ${lapisVersion()}\n`);
    return 0;
  }
  const { path, rest, unknown } = resolveCommand(ROOT, argv);
  const cmd = path[path.length - 1]!;
  const where = commandPath(path);
  if (unknown !== undefined) {
    io.stdout.write(helpText(path));
    io.stderr.write(`Error: unknown command "${unknown}" for "${where}"\n`);
    return 1;
  }
  try {
    const specs = isGroup(cmd) ? GLOBAL_FLAGS : { ...GLOBAL_FLAGS, ...cmd.flags };
    const { values, positionals } = parseFlags(rest, specs, (m) => io.stderr.write(`${m}\n`));
    if (values.help === true || isGroup(cmd)) {
      io.stdout.write(helpText(path));
      return 0;
    }
    const output = stringFlag(values, 'output') ?? 'human';
    if (!isOutputFormat(output)) throw new CliError(`output format '${output}' not supported: must be one of human, json, raw`);
    checkArgCount(cmd, where, positionals);
    const configPath = stringFlag(values, 'config');
    const ctx: Ctx = {
      io,
      out: new Printer(output, io.stdout, io.stderr),
      commandPath: where,
      configPath,
      config: makeConfigLoader(configPath, io.env),
    };
    await cmd.run(ctx, positionals, values);
    return 0;
  } catch (err) {
    return reportFailure(err, where, io);
  }
}

/**
 * Prints a failed command as one line `Error: <command path>: <message>` and returns its exit code, 1.
 * Under LAPIS_DEBUG the stack goes first, unless the user caused the failure (isUserError).
 */
export function reportFailure(err: unknown, where: string, io: CliIo): number {
  if (!isUserError(err) && io.env.LAPIS_DEBUG) io.stderr.write(`${(err as Error)?.stack}\n`);
  io.stderr.write(`Error: ${where}: ${messageOf(err)}\n`);
  return 1;
}
