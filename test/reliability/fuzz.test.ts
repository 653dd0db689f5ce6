import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { hashPassword } from '../../src/auth/password.js';
import { usingDb } from '../../src/store/db.js';
import { createMachine, getMachine } from '../../src/store/machines.js';
import { closeAgent, describe, send, Tally, type FuzzRequest } from './fuzz/client.js';
import { login, readKnown, seedKnown } from './fuzz/known.js';
import { requests, routes, type FuzzState } from './fuzz/routes.js';
import { CREDS, startTarget, type Target } from './fuzz/target.js';
import { sqliteIntegrity } from './fuzz/integrity.js';

/**
 * Property-based fuzzing of every route of the Local API and of the admin API, over real HTTP against a
 * real `lapis serve` (a child process) on the run's engine (LAPIS_TEST_DIALECT). Each route gets its own
 * property; each run is one request with hostile parts, with valid credentials or not. Properties:
 * no answer ≥ 500, every request answered, the server alive; at the end, the decisions seeded before the
 * run are intact and (SQLite) the database passes `PRAGMA integrity_check`.
 *
 * LAPIS_FUZZ_SEED (default 20261201) fixes the generators; LAPIS_FUZZ_RUNS (default 40) is the number
 * of requests per route (`npm run fuzz` sends ≥ 10,000). A failure prints the seed, the shrunk request
 * and the server's error log lines. Ids minted by the server differ from run to run, so a replay with
 * the same seed sends the same shapes, not always the same ids.
 */
const SEED = Number(process.env.LAPIS_FUZZ_SEED ?? 20261201);
const RUNS = Number(process.env.LAPIS_FUZZ_RUNS ?? 40);

async function seedAdmin(target: Target, state: FuzzState): Promise<void> {
  const admin = (method: string, path: string, body?: unknown) =>
    send(target.admin, {
      listener: 'admin',
      method,
      path,
      headers: { 'x-api-key': CREDS.adminKey, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  for (let i = 0; i < 2; i++) {
    const list = JSON.parse((await admin('POST', '/v1/allowlists', { name: `fuzz-list-${i}`, description: 'seeded' })).body) as {
      id: string;
    };
    state.listIds.push(list.id);
    await admin('POST', `/v1/allowlists/${list.id}/items`, { items: [`192.0.2.${i}`, `2001:db8:f::${i}/128`], description: 'seeded' });
    await admin('POST', `/v1/allowlists/${list.id}/subscribers`, { ids: [CREDS.machine], entity_type: 'engine' });
    const items = JSON.parse((await admin('GET', `/v1/allowlists/${list.id}/items`)).body) as { items: { id: string }[] };
    state.itemIds.push(...items.items.map((it) => it.id));
  }
}

/** After an answer: learn new list ids, and put back the fuzz machine if a valid request unregistered it. */
async function learn(target: Target, state: FuzzState, req: FuzzRequest, status: number, body: string): Promise<void> {
  if (req.listener === 'admin' && req.method === 'POST' && req.path === '/v1/allowlists' && status === 201) {
    state.listIds.push((JSON.parse(body) as { id: string }).id);
  }
  if (req.method === 'DELETE' && req.path === '/v1/watchers/self' && status === 204) {
    await usingDb(target.config.db, async (db) => {
      if (!(await getMachine(db, CREDS.machine)))
        await createMachine(db, { machineId: CREDS.machine, passwordHash: await hashPassword(CREDS.password), isValidated: true });
    });
    // a deleted machine's token dies with it: a fresh login for the new one
    state.token = await login(target);
  }
}

test('fuzz: hostile requests to every route never get a 5xx; the server and the known decisions survive', {
  timeout: 60 * 60_000,
}, async (t) => {
  const target = await startTarget(t);
  t.after(closeAgent);
  const tally = new Tally();
  const state: FuzzState = { token: await login(target), listIds: [], itemIds: [], knownMaxId: 0 };
  const known = await seedKnown(target, state.token);
  state.knownMaxId = known.maxId;
  await seedAdmin(target, state);

  const all = routes(state);
  // the request before, on each listener: a connection a previous answer left broken shows up on the next one
  const previous: Record<string, string> = {};
  for (const [i, route] of all.entries()) {
    await t.test(route.name, async () => {
      const property = fc.asyncProperty(requests(route, state), async (req) => {
        target.takeErrors();
        let res: Awaited<ReturnType<typeof send>>;
        try {
          res = await send(req.listener === 'lapi' ? target.lapi : target.admin, req);
        } catch (err) {
          tally.record(undefined);
          throw new Error(
            `no answer (${(err as Error).message}) to ${describe(req)}; server ${target.alive() ? 'alive' : 'dead'}; the request before: ${previous[req.listener]}\n${target.takeErrors().join('\n')}`,
          );
        }
        tally.record(res.status);
        previous[req.listener] = `${describe(req)} → ${res.status}`;
        if (res.status >= 500)
          throw new Error(`${res.status} ${res.body.slice(0, 300)} for ${describe(req)}\nserver log:\n${target.takeErrors().join('\n')}`);
        await learn(target, state, req, res.status, res.body);
      });
      const run = await fc.check(property, { seed: SEED + i, numRuns: RUNS, endOnFailure: process.env.LAPIS_FUZZ_SHRINK !== '1' });
      // fast-check's own report prints the whole counterexample, which can be megabytes: the error says enough
      if (run.failed)
        assert.fail(
          `seed ${run.seed}, path ${run.counterexamplePath}: ${String((run.errorInstance as Error)?.message ?? run.errorInstance).slice(0, 8000)}`,
        );
      assert.ok(target.alive(), 'the server process is still running');
    });
  }

  // every route got its share, and the server still answers
  const health = await send(target.lapi, { listener: 'lapi', method: 'GET', path: '/health', headers: {} });
  assert.equal(health.status, 200);
  assert.equal(health.body, '{"status":"up"}');
  assert.deepEqual(await readKnown(target, known.tag), known.decisions, 'the decisions seeded before the run are intact');
  const rss = target.peakRssKb();
  assert.equal(await target.stop(), 0, 'lapis serve closes cleanly on SIGTERM');
  if (target.config.db.type === 'sqlite') assert.deepEqual(sqliteIntegrity(target.config.db.db_path), ['ok']);
  tally.report('fuzz', { seed: SEED, runsPerRoute: RUNS, routes: all.length, engine: target.config.db.type, serverPeakRssKb: rss }, (s) =>
    t.diagnostic(s),
  );
});
