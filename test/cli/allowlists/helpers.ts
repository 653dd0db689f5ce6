import assert from 'node:assert/strict';
import { allowlistsList } from '../../../src/cli/allowlists/list.js';
import { organizationId } from '../../../src/store/instance.js';
import { cli, withEnvDb, type CliEnv } from '../helpers.js';

/** Shared by the allowlists CLI tests, one file per verb. */
export const rule = (n: number) => '─'.repeat(n);

export async function orgOf(env: CliEnv): Promise<string> {
  return withEnvDb(env, (db) => organizationId(db, env.config.admin.organizationId));
}

/** The values of the active decisions, sorted (`decisions list -o json`). */
export async function activeValues(env: CliEnv): Promise<string[]> {
  const r = await cli(env, ['decisions', 'list', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { decisions: { value: string }[] }[]).flatMap((a) => a.decisions.map((d) => d.value)).sort();
}

/** Everything allowlists are made of, to check that a refused command changed nothing. */
export async function snapshot(env: CliEnv): Promise<string> {
  const lists = await withEnvDb(env, (db) => allowlistsList(db));
  return JSON.stringify(lists, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Runs each command line and asserts that it fails with exactly `Error: lapis allowlists <verb>: <message>` and prints nothing else. */
export async function assertRefusals(env: CliEnv, verb: string, rows: [argv: string[], message: string][]): Promise<void> {
  for (const [argv, message] of rows) {
    const r = await cli(env, argv);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `Error: lapis allowlists ${verb}: ${message}\n`], argv.join(' '));
  }
}
