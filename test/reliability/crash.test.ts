import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeList, type AdminCall } from '../helpers/admin.js';
import { engineAnswers, type TestDialect } from '../helpers/dialect.js';
import { Admin, Agent, Bouncer } from './harness/client.js';
import { CrashLedger, verifyApi, verifyStore } from './harness/crash-ledger.js';
import { crashLife, ValueSource } from './harness/crash-life.js';
import { provision, serverEnv, sqliteProblems } from './harness/env.js';
import { LapisProcess } from './harness/server.js';

/**
 * Durability: concurrent agents write through a real `lapis serve` that gets `kill -9` mid-flight, round after
 * round on one database. Whatever the server acknowledged before dying must be there after the restart, in the
 * store and through the API, and nothing may be half-written. LAPIS_CRASH_ROUNDS sets the rounds (CI: 2);
 * LAPIS_CRASH_ENGINES the engines (default: sqlite, and postgres when it answers on 127.0.0.1:5432; mysql on request).
 */
const ROUNDS = Number(process.env.LAPIS_CRASH_ROUNDS ?? 2);
const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
/** Unless named, the engines are sqlite and postgres, within LAPIS_TEST_DIALECTS when a run restricts it (CI's Node 24 pass: sqlite). */
const ENGINES = (
  process.env.LAPIS_CRASH_ENGINES
    ? list(process.env.LAPIS_CRASH_ENGINES)
    : ['sqlite', 'postgres'].filter((e) => !process.env.LAPIS_TEST_DIALECTS || list(process.env.LAPIS_TEST_DIALECTS).includes(e))
) as TestDialect[];
const AGENTS = 4;
for (const engine of ENGINES) {
  const skip = engineAnswers(engine) ? false : `${engine} does not answer on 127.0.0.1`;
  test(`kill -9 mid-flight on ${engine}, ${ROUNDS} rounds: every acknowledged alert, decision deletion and allowlist item survives, nothing half-written`, {
    skip,
    timeout: 120_000 + ROUNDS * 30_000,
  }, async (t) => {
    const env = serverEnv(t, engine);
    const machines = Array.from({ length: AGENTS }, (_, i) => `crash-agent-${i + 1}`);
    const ids = await provision(env.config, { machines, bouncers: ['verifier'], adminKeys: ['crash-suite'] });
    const agents = machines.map((m) => new Agent(m, ids.machines.get(m)!));
    const bouncer = new Bouncer('verifier', ids.bouncers.get('verifier')!);
    const admin = new Admin(ids.adminKeys.get('crash-suite')!);
    const ledger = new CrashLedger();
    const values = new ValueSource();
    let listId = '';
    let storedAlerts = 0;
    let halfApplied = 0;

    const start = async () => {
      const server = await LapisProcess.start(t, env.configPath);
      for (const c of [...agents, bouncer, admin]) c.base = c instanceof Admin ? server.adminUrl! : server.url;
      return server;
    };
    const afterRestart = async (round: number) => {
      const v = await verifyApi(agents[0]!, bouncer, ledger, storedAlerts);
      t.diagnostic(
        `${engine} restart after round ${round}: API serves ${v.figures.alerts} alerts, ${v.figures.activeServed} active decisions`,
      );
      assert.deepEqual(v.problems, [], `after the restart that followed round ${round}`);
    };

    for (let round = 1; round <= ROUNDS; round++) {
      const server = await start();
      if (round === 1) {
        const call: AdminCall = async (method, url, payload) => {
          const r = await admin.call(method, url, payload);
          return { status: r.status, body: r.text, json: () => JSON.parse(r.text) as Record<string, unknown> };
        };
        listId = await makeList(call, 'crash-org', [{ type: 'org', ids: [] }]);
      } else await afterRestart(round - 1);

      // tokens first (one login per agent for the whole test: they survive restarts), so that the kill lands in writes
      for (const a of agents) assert.equal((await a.call('GET', '/v1/heartbeat')).status, 200);
      const killAfterMs = Math.round(300 + Math.random() * 3200);
      const life = await crashLife(server, agents, admin, ledger, values, { killAfterMs, loopsPerAgent: 2, listId });
      assert.deepEqual(life.unexpected, [], `round ${round}: failures while the server was up\n${server.output().slice(-3000)}`);
      const integrity = env.sqlitePath ? sqliteProblems(env.sqlitePath) : [];
      assert.deepEqual(integrity, [], `round ${round}: SQLite integrity after kill -9`);
      const v = await verifyStore(env.config, ledger);
      storedAlerts = v.figures.alerts!;
      halfApplied = v.figures.itemsHalfApplied!;
      const f = v.figures;
      t.diagnostic(
        `${engine} round ${round}: killed after ${killAfterMs} ms with ${life.inFlightAtKill} requests in flight (${life.cut} cut); ` +
          `this round acknowledged ${life.alertsAcked} alerts in ${life.alertPostsAcked}/${life.alertPosts} posts, ${life.deletesAcked} deletions, ${life.itemsAcked} allowlist items; ` +
          `store: ${f.present}/${f.acked} acknowledged alerts present with all their decisions; ${f.alerts} alerts stored (${f.storedUnacked} committed but unanswered), ` +
          `${f.decisions} decisions (${f.active} active), ${f.items} items (${f.itemsHalfApplied} half-applied), SQLite integrity: ${env.sqlitePath ? 'ok' : 'n/a'}`,
      );
      assert.deepEqual(v.problems, [], `round ${round}: the store after kill -9`);
    }

    // a kill may land before the first answer of a round, not in every round
    assert.ok(ledger.acked.size > 0, 'no alert was ever acknowledged');

    // the last restart: served right, then a graceful stop leaves a clean file
    const server = await start();
    await afterRestart(ROUNDS);
    // not an acknowledged request, but an operation that must not be half-done: items and the expiry of the
    // decisions they cover commit together (engine/allowlist-ops.ts)
    await t.test('an allowlist item whose request the kill cut is stored with its decisions ended, or not at all', () => {
      assert.equal(halfApplied, 0, `${halfApplied} items stored with the decisions they cover still active`);
    });
    t.diagnostic(`${engine}: logins per agent over ${ROUNDS + 1} server lives: ${agents.map((a) => a.logins).join(', ')}`);
    const exit = await server.stop();
    assert.equal(exit.code, 0, server.output().slice(-2000));
    if (env.sqlitePath) assert.deepEqual(sqliteProblems(env.sqlitePath), []);
  });
}
