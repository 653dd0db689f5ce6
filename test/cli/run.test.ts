import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { helpText } from '../../src/cli/help.js';
import { ROOT } from '../../src/cli/run.js';
import { migrate } from '../../src/cli/migrate.js';
import { runCli } from '../../src/cli/run.js';
import { capture, cli, cliEnv } from './helpers.js';

const machinesNoun = ROOT.commands.find((c) => c.name === 'machines')!;

test('no command prints the root help and exits 0; a noun alone prints its verbs', async () => {
  const root = await cli(null, []);
  assert.equal(root.code, 0);
  assert.equal(root.stdout, helpText([ROOT]));
  assert.match(root.stdout, /^lapis: a CrowdSec-compatible Local API server and its admin CLI\n\nUsage:\n {2}lapis \[command\]\n/);
  // names are padded to the longest (integrations), as cobra's NamePadding
  assert.match(root.stdout, /\n {2}machines {6}Manage local API machines \[requires local API\]\n/);
  assert.match(root.stdout, /\n {2}blocklists {4}Manage blocklists\n {2}bouncers /);
  assert.match(root.stdout, /\n {2}integrations {2}Manage firewall and remediation component integrations\n/);
  const noun = await cli(null, ['machines']);
  assert.equal(noun.code, 0);
  assert.match(noun.stdout, /Aliases:\n {2}machines, machine\n/);
  assert.match(noun.stdout, /\n {2}prune {7}prune multiple machines from the database\n/);
  assert.equal(noun.stderr, '');
  assert.equal((await cli(null, ['bouncers', '--help'])).code, 0);
});

test('verb help lists its flags and the global ones', async () => {
  const r = await cli(null, ['machines', 'add', '-h']);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /\nUsage:\n {2}lapis machines add \[NAME\] \[flags\]\n/);
  assert.match(r.stdout, /\n {2}-p, --password string {3}machine password to login to the API\n/);
  assert.match(r.stdout, /\n {6}--force {13}will force add the machine if it already exists\n/);
  assert.match(r.stdout, /\nGlobal Flags:\n {2}-c, --config string {3}path to the configuration file/);
  assert.match(r.stdout, /\n {2}-o, --output string {3}Output format: human, json, raw \(default "human"\)\n/);
});

test('an unknown command prints the usage on stdout and one line on stderr, exit 1', async () => {
  const r = await cli(null, ['machines', 'foo']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, helpText([ROOT, machinesNoun]));
  assert.equal(r.stderr, 'Error: unknown command "foo" for "lapis machines"\n');
  const top = await cli(null, ['-o', 'json', 'foo']);
  assert.equal(top.stderr, 'Error: unknown command "foo" for "lapis"\n');
  assert.equal(top.code, 1);
});

test("flag and argument errors use cobra's wording, prefixed by the command path", async (t) => {
  const env = cliEnv(t);
  const table: [string[], string][] = [
    [['machines', 'list', '--nope'], 'Error: lapis machines list: unknown flag: --nope\n'],
    [['machines', 'list', '-x'], "Error: lapis machines list: unknown shorthand flag: 'x' in -x\n"],
    [['machines', 'validate'], 'Error: lapis machines validate: accepts 1 arg(s), received 0\n'],
    [['machines', 'delete'], 'Error: lapis machines delete: requires at least 1 arg(s), only received 0\n'],
    [['machines', 'add', 'a', 'b'], 'Error: lapis machines add: accepts at most 1 arg(s), received 2\n'],
    [['machines', 'list', 'extra'], 'Error: lapis machines list: unknown command "extra" for "lapis machines list"\n'],
    [['machines', 'list', '-o', 'xml'], "Error: lapis machines list: output format 'xml' not supported: must be one of human, json, raw\n"],
    [
      ['machines', 'add', 'm1', '--force=maybe'],
      'Error: lapis machines add: invalid argument "maybe" for "--force" flag: strconv.ParseBool: parsing "maybe": invalid syntax\n',
    ],
    [
      ['bouncers', 'prune', '-d', 'toto'],
      'Error: lapis bouncers prune: invalid argument "toto" for "-d, --duration" flag: time: invalid duration "toto"\n',
    ],
  ];
  for (const [argv, want] of table) {
    const r = await cli(env, argv);
    assert.equal(r.stderr, want, argv.join(' '));
    assert.equal(r.code, 1, argv.join(' '));
    assert.equal(r.stdout, '', argv.join(' '));
  }
  // a string flag takes the next word whatever it is, as pflag does: so these have no -c after them
  assert.equal((await cli(null, ['machines', 'add', 'm1', '-p'])).stderr, "Error: lapis machines add: flag needs an argument: 'p' in -p\n");
  assert.equal(
    (await cli(null, ['machines', 'add', 'm1', '--password'])).stderr,
    'Error: lapis machines add: flag needs an argument: --password\n',
  );
  assert.equal(
    (await cli(null, ['machines', 'add', 'm1', '-ap'])).stderr,
    "Error: lapis machines add: flag needs an argument: 'p' in -ap\n",
  );
});

test('config errors are one line naming the key; -c wins over LAPIS_CONFIG, which wins over the default', async (t) => {
  const env = cliEnv(t, 'api:\n  server:\n    nope: 1\n');
  const r = await cli(env, ['machines', 'list']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'Error: lapis machines list: config: api.server.nope: unknown key\n');
  const missing = join(env.dir, 'missing.yaml');
  const m = await cli(null, ['bouncers', 'list', '-c', missing]);
  assert.equal(m.stderr, `Error: lapis bouncers list: config: ${missing}: no such file\n`);

  const good = cliEnv(t);
  const viaEnv = capture({ env: { LAPIS_CONFIG: good.configPath } });
  assert.equal(await runCli(['bouncers', 'list', '-o', 'json'], viaEnv.io), 0);
  assert.equal(viaEnv.stdout(), '[]\n');
  const bad = capture({ env: { LAPIS_CONFIG: env.configPath } });
  assert.equal(await runCli(['bouncers', 'list', '-c', good.configPath, '-o', 'raw'], bad.io), 0);
  assert.equal(bad.stdout(), 'name,ip,revoked,last_pull,type,version,auth_type\n');
});

test('DB-direct commands refuse to run when the Local API is disabled', async (t) => {
  const env = cliEnv(t, 'api:\n  server:\n    enable: false\n');
  for (const argv of [
    ['machines', 'list'],
    ['bouncers', 'add', 'fw'],
  ]) {
    const r = await cli(env, argv);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `Error: lapis ${argv.slice(0, 2).join(' ')}: local API is disabled -- this command must be run on the local API machine\n`,
    );
  }
});

test('global flags are accepted before the noun, aliases resolve, `--` ends the flags', async (t) => {
  const env = cliEnv(t);
  const a = await cli(null, ['-c', env.configPath, '-o', 'raw', 'bouncer', 'add', 'fw', '--key', 'k-123']);
  assert.equal(a.code, 0);
  assert.equal(a.stdout, 'k-123');
  const b = await cli(null, ['-o', 'raw', 'bouncers', 'add', '-c', env.configPath, '--', '-dash']);
  assert.equal(b.code, 0);
  assert.equal(b.stdout.length, 43);
  const rm = await cli(env, ['bouncers', 'remove', 'fw', '-dash']);
  assert.equal(rm.stderr, "Error: lapis bouncers delete: unknown shorthand flag: 'd' in -dash\n");
  const rm2 = await cli(null, ['bouncers', 'remove', '-c', env.configPath, 'fw', '--', '-dash']);
  assert.equal(rm2.code, 0);
  assert.equal(rm2.stderr, "bouncer 'fw' deleted successfully\nbouncer '-dash' deleted successfully\n");
});

test('migrate reports the migrations it ran, then that the schema is up to date', async (t) => {
  const env = cliEnv(t, '', { migrated: false });
  const first = await cli(env, ['migrate']);
  assert.equal(first.code, 0);
  const lines = first.stdout.trimEnd().split('\n');
  assert.ok(lines.length >= 2);
  for (const l of lines) assert.match(l, /^Applied migration \d{8}-\d{4}-[a-z-]+$/);
  const again = await cli(env, ['migrate']);
  assert.equal(again.stdout, 'The database schema is up to date.\n');
  assert.deepEqual(await migrate(env.config.db), []);
  assert.equal((await cli(env, ['migrate', '-o', 'json'])).stdout, '{\n  "applied": []\n}\n');
});
