import assert from 'node:assert/strict';
import { allBlocklistSubscriptions, allBlocklists } from '../../../src/store/blocklists.js';
import { liveItems } from '../../../src/store/blocklist-items.js';
import { getBlocklistByName } from '../../../src/store/blocklists.js';
import { cli, withEnvDb, type CliEnv } from '../helpers.js';

/** Shared by the blocklists CLI tests. */
export const rule = (n: number) => '─'.repeat(n);

/** A list's live values, in address order. */
export async function valuesOf(env: CliEnv, name: string): Promise<string[]> {
  return withEnvDb(env, async (db) => {
    const list = await getBlocklistByName(db, name);
    assert.ok(list, name);
    const out: string[] = [];
    for await (const page of liveItems(db, list.id, Date.now())) out.push(...page.map((i) => i.value));
    return out;
  });
}

/** Everything blocklists are made of, to check that a refused command changed nothing. */
export async function snapshot(env: CliEnv): Promise<string> {
  return withEnvDb(env, async (db) => {
    const lists = await allBlocklists(db);
    const items: Record<string, string[]> = {};
    for (const l of lists) {
      items[l.name] = [];
      for await (const page of liveItems(db, l.id, Date.now())) items[l.name]!.push(...page.map((i) => `${i.value}@${i.expiresAt}`));
    }
    return JSON.stringify({ lists, items, subs: await allBlocklistSubscriptions(db) });
  });
}

/** Runs each command line and asserts it fails with exactly `Error: lapis <noun> <verb>: <message>` and prints nothing else. */
export async function assertRefusals(env: CliEnv, noun: string, verb: string, rows: [argv: string[], message: string][]): Promise<void> {
  for (const [argv, message] of rows) {
    const r = await cli(env, argv);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `Error: lapis ${noun} ${verb}: ${message}\n`], argv.join(' '));
  }
}
