import assert from 'node:assert/strict';
import { test } from 'node:test';
import { usingDb } from '../../src/store/db.js';
import { engineAnswers, type TestDialect } from '../helpers/dialect.js';
import { alertBody, sleep, type PlannedAlert } from './harness/alerts.js';
import { Agent, Bouncer, parse } from './harness/client.js';
import { provision, serverEnv, sqliteProblems } from './harness/env.js';
import { LapisProcess } from './harness/server.js';

/**
 * Group commit under `kill -9` (usecases/group-commit.ts): many agents post at once, so their requests share
 * transactions, and a real `lapis serve` is killed while posts are in flight. Every alert id it answered 201
 * must be stored with all its decisions, and served again after the restart; a request cut by the kill is
 * stored whole or not at all. SQLite, and PostgreSQL and MySQL when LAPIS_TEST_DIALECTS names them.
 */
const ROUNDS = 2;
const AGENTS = 5;
const LOOPS_PER_AGENT = 8;
const list = (v: string | undefined) =>
  (v ?? 'sqlite')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const ENGINES = list(process.env.LAPIS_TEST_DIALECTS).filter((e) => ['sqlite', 'postgres', 'mysql'].includes(e)) as TestDialect[];

/** One request: its alerts (1 to 3, one decision each on a fresh address) and, once answered 201, their ids. */
interface Post {
  alerts: PlannedAlert[];
  ids?: number[];
}

let counter = 0;
function plannedAlert(): PlannedAlert {
  const n = ++counter;
  const value = `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  return { source: value, decisions: [{ value, scope: 'Ip', type: 'ban', duration: '4h' }] };
}

for (const engine of ENGINES) {
  const skip = engineAnswers(engine) ? false : `${engine} does not answer on 127.0.0.1`;
  test(`group commit on ${engine}: kill -9 during concurrent posts loses no acknowledged alert, and cuts no request in half`, {
    skip,
    timeout: 120_000,
  }, async (t) => {
    const env = serverEnv(t, engine);
    const machines = Array.from({ length: AGENTS }, (_, i) => `gc-agent-${i + 1}`);
    const ids = await provision(env.config, { machines, bouncers: ['verifier'] });
    const agents = machines.map((m) => new Agent(m, ids.machines.get(m)!));
    const bouncer = new Bouncer('verifier', ids.bouncers.get('verifier')!);
    const posts: Post[] = [];

    for (let round = 1; round <= ROUNDS + 1; round++) {
      const server = await LapisProcess.start(t, env.configPath);
      for (const c of [...agents, bouncer]) c.base = server.url;
      // the restart serves every acknowledged decision, from the store it reloaded
      const pull = await bouncer.get('/v1/decisions/stream?startup=true');
      assert.equal(pull.status, 200);
      const served = new Set((parse<{ new: { value: string }[] | null }>(pull).new ?? []).map((d) => d.value));
      const unserved = posts.filter((p) => p.ids).flatMap((p) => p.alerts.map((a) => a.source).filter((v) => !served.has(v)));
      assert.deepEqual(unserved.slice(0, 5), [], `after restart ${round - 1}: ${unserved.length} acknowledged decisions not served`);
      if (round > ROUNDS) {
        assert.equal((await server.stop()).code, 0, server.output().slice(-2000));
        break;
      }

      for (const a of agents) assert.equal((await a.call('GET', '/v1/heartbeat')).status, 200);
      let alive = true;
      let inFlight = 0;
      const unexpected: string[] = [];
      const poster = async (agent: Agent) => {
        while (alive) {
          const post: Post = { alerts: Array.from({ length: 1 + Math.floor(Math.random() * 3) }, plannedAlert) };
          posts.push(post);
          inFlight++;
          try {
            const r = await agent.call(
              'POST',
              '/v1/alerts',
              post.alerts.map((a) => alertBody(a)),
            );
            // a 201 that arrives after the kill was still sent before it: it counts
            if (r.status === 201) post.ids = parse<string[]>(r).map(Number);
            else unexpected.push(`${r.status} ${r.text.slice(0, 200)}`);
          } catch (err) {
            if (alive) unexpected.push(String(err));
          } finally {
            inFlight--;
          }
        }
      };
      const loops = agents.flatMap((a) => Array.from({ length: LOOPS_PER_AGENT }, () => poster(a)));
      await sleep(400 + Math.random() * 1200);
      for (const deadline = Date.now() + 1000; inFlight < 10 && Date.now() < deadline; ) await sleep(1);
      const inFlightAtKill = inFlight;
      alive = false;
      await server.kill9();
      await Promise.all(loops);
      assert.deepEqual(unexpected.slice(0, 5), [], 'failures while the server was up');
      assert.ok(inFlightAtKill > 0, 'the kill landed among requests');
      if (env.sqlitePath) assert.deepEqual(sqliteProblems(env.sqlitePath), [], 'SQLite integrity after kill -9');

      // the store, read directly while no server runs
      const rows = await usingDb(env.config.db, (db) =>
        db
          .selectFrom('alerts')
          .leftJoin('decisions', 'decisions.alert_id', 'alerts.id')
          .select(['alerts.id', 'decisions.value', 'decisions.seq'])
          .execute(),
      );
      const byId = new Map(rows.map((r) => [Number(r.id), r.value]));
      const stored = new Set(rows.map((r) => r.value));
      const acked = posts.filter((p) => p.ids);
      const lost = acked.flatMap((p) => p.ids!.filter((id, i) => byId.get(id) !== p.alerts[i]!.source));
      assert.deepEqual(lost.slice(0, 5), [], `round ${round}: ${lost.length} acknowledged alerts missing or not as sent`);
      const halves = posts.filter((p) => {
        const n = p.alerts.filter((a) => stored.has(a.source)).length;
        return n !== 0 && n !== p.alerts.length;
      });
      assert.equal(halves.length, 0, `round ${round}: requests stored in part`);
      const committedUnanswered = posts.filter((p) => !p.ids && stored.has(p.alerts[0]!.source)).length;
      const seqs = new Set(rows.map((r) => r.seq)).size;
      t.diagnostic(
        `${engine} round ${round}: killed with ${inFlightAtKill} posts in flight; ${acked.length}/${posts.length} posts acknowledged so far, ` +
          `${rows.length} alerts stored in ${seqs} transactions, ${committedUnanswered} posts committed but unanswered`,
      );
      assert.ok(seqs < rows.length, 'concurrent posts shared transactions');
    }
    assert.ok(
      posts.some((p) => p.ids),
      'no post was ever acknowledged',
    );
  });
}
