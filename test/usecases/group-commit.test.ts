import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AppDeps } from '../../src/api/deps.js';
import { parseAlerts } from '../../src/api/schemas/alert.js';
import { parseDecisionFilter } from '../../src/domain/decision-filter.js';
import type { InsertResult } from '../../src/store/alerts.js';
import { createMachine } from '../../src/store/machines.js';
import { GroupCommit, MAX_BATCH_ROWS } from '../../src/usecases/group-commit.js';
import { ingestAlerts } from '../../src/usecases/ingest-alerts.js';
import { cscliAlert } from '../helpers/actors.js';
import { failCommitsOf, failRows, noDeferredConstraints, openTestDeps } from './helpers.js';

const MACHINE = 'web-01';
let nextIp = 0;
const ip = () => {
  const n = ++nextIp;
  return `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
};

/** An alert as cscli sends it, with `decisions` decisions on fresh IPs; `scenario` is what failures are injected on. */
function alert(scenario: string, decisions = 1): Record<string, unknown> {
  const a: Record<string, unknown> = cscliAlert(ip(), { scenario });
  const d0 = (a.decisions as Record<string, unknown>[])[0]!;
  a.decisions = Array.from({ length: decisions }, (_, i) => (i === 0 ? d0 : { ...d0, value: ip() }));
  return a;
}

/** What the store holds of one request's alerts: by id, the alert's source and its decisions' values and change sequences. */
async function stored(deps: AppDeps, ids: number[]): Promise<Map<number, { source: string; values: string[]; seqs: number[] }>> {
  const out = new Map<number, { source: string; values: string[]; seqs: number[] }>();
  if (ids.length === 0) return out;
  const alerts = await deps.db.selectFrom('alerts').select(['id', 'source_value']).where('id', 'in', ids).execute();
  for (const a of alerts) out.set(Number(a.id), { source: a.source_value, values: [], seqs: [] });
  const rows = await deps.db
    .selectFrom('decisions')
    .select(['alert_id', 'value', 'seq'])
    .where('alert_id', 'in', ids)
    .orderBy('id')
    .execute();
  for (const r of rows) {
    out.get(Number(r.alert_id))?.values.push(r.value);
    out.get(Number(r.alert_id))?.seqs.push(Number(r.seq));
  }
  return out;
}

async function valuesStored(deps: AppDeps, values: string[]): Promise<number> {
  const rows = await deps.db.selectFrom('decisions').select('id').where('value', 'in', values).execute();
  return rows.length;
}

interface Case {
  name: string;
  skip?: string | false;
  /** Per request, the scenario of each of its alerts. */
  requests: string[][];
  /** The machine of each request (MACHINE unless said). */
  owners?: string[];
  /** Decisions per alert (1 unless said). */
  decisions?: number;
  /** `insert`: `bad` alerts fail at insert; `commit`: `doomed` ones make their transaction's commit fail; `counter`: the change sequence cannot be taken; `machine`: machine `m-bad`'s last push cannot be recorded. */
  inject?: ('insert' | 'commit' | 'counter' | 'machine')[];
  /** Per request: stored, or refused with an error whose message matches. */
  expect: (true | RegExp)[];
  /** How many transactions the stored requests' decisions came from (distinct change sequences). */
  transactions: number;
}

const cases: Case[] = [
  {
    name: 'concurrent requests share one transaction, each gets its own ids',
    requests: [['ok'], ['ok', 'ok'], ['ok'], ['ok'], ['ok']],
    expect: [true, true, true, true, true],
    transactions: 1,
  },
  {
    name: 'a bad alert fails its own request only; the rest of the batch commits together',
    requests: [['ok'], ['bad'], ['ok'], ['ok']],
    inject: ['insert'],
    expect: [true, /injected insert failure/, true, true],
    transactions: 1,
  },
  {
    name: 'a request stays all or nothing inside a batch: its good alerts go with its bad one',
    requests: [['ok'], ['ok', 'bad', 'ok'], ['ok']],
    inject: ['insert'],
    expect: [true, /injected insert failure/, true],
    transactions: 1,
  },
  {
    name: 'the first and the last request of a batch fail alone',
    requests: [['bad'], ['ok'], ['ok'], ['bad']],
    inject: ['insert'],
    expect: [/injected insert failure/, true, true, /injected insert failure/],
    transactions: 1,
  },
  {
    name: 'a batch whose commit fails is retried per request: only the request that breaks the commit fails',
    skip: noDeferredConstraints,
    requests: [['ok'], ['doomed'], ['ok'], ['ok']],
    inject: ['commit'],
    expect: [true, /deferred check failed|FOREIGN KEY constraint failed/, true, true],
    transactions: 3,
  },
  {
    name: 'a bad alert and a failed commit in one batch: each request still gets its own outcome',
    skip: noDeferredConstraints,
    requests: [['ok'], ['bad'], ['doomed'], ['ok']],
    inject: ['insert', 'commit'],
    expect: [true, /injected insert failure/, /deferred check failed|FOREIGN KEY constraint failed/, true],
    transactions: 2,
  },
  {
    name: 'a batch that fails after every request did its part (a last push not recorded) is retried per request',
    requests: [['ok'], ['ok'], ['ok']],
    owners: [MACHINE, 'm-bad', MACHINE],
    inject: ['machine'],
    expect: [true, /injected update failure/, true],
    transactions: 2,
  },
  {
    name: 'a store that refuses every transaction fails every request, and nothing is stored',
    requests: [['ok'], ['ok'], ['ok']],
    inject: ['counter'],
    expect: [/disk I\/O error/, /disk I\/O error/, /disk I\/O error/],
    transactions: 0,
  },
  {
    name: `batches are bounded at ${MAX_BATCH_ROWS} rows: heavy requests are spread over several transactions`,
    requests: [['ok'], ['ok'], ['ok'], ['ok']],
    decisions: Math.floor(MAX_BATCH_ROWS / 2) - 1,
    expect: [true, true, true, true],
    transactions: 2,
  },
];

for (const c of cases) {
  test(`group commit: ${c.name}`, { skip: c.skip ?? false }, async (t) => {
    const deps = await openTestDeps(t);
    for (const m of new Set([MACHINE, ...(c.owners ?? [])]))
      await createMachine(deps.db, { machineId: m, passwordHash: 'x', isValidated: true });
    const undo: (() => Promise<void>)[] = [];
    if (c.inject?.includes('insert'))
      undo.push(await failRows(deps.db, 'alerts', 'INSERT', 'injected insert failure', { column: 'scenario', value: 'bad' }));
    if (c.inject?.includes('commit')) undo.push(await failCommitsOf(deps.db, 'doomed'));
    if (c.inject?.includes('machine'))
      undo.push(await failRows(deps.db, 'machines', 'UPDATE', 'injected update failure', { column: 'machine_id', value: 'm-bad' }));
    if (c.inject?.includes('counter')) undo.push(await failRows(deps.db, 'counters', 'UPDATE', 'disk I/O error'));

    const now = Date.now();
    const payloads = c.requests.map((scenarios) => scenarios.map((s) => alert(s, c.decisions)));
    // submitted in one turn of the event loop: they wait for one transaction together
    const outcomes = await Promise.allSettled(
      payloads.map((p, i) => deps.alertCommits.submit({ alerts: parseAlerts(p, now), owner: c.owners?.[i] ?? MACHINE, now })),
    );
    for (const u of undo) await u();

    const seqs = new Set<number>();
    for (const [i, want] of c.expect.entries()) {
      const o = outcomes[i]!;
      const values = payloads[i]!.flatMap((a) => (a.decisions as { value: string }[]).map((d) => d.value));
      if (want === true) {
        assert.equal(o.status, 'fulfilled', `request ${i}: ${o.status === 'rejected' ? String(o.reason) : ''}`);
        const r = (o as PromiseFulfilledResult<InsertResult>).value;
        assert.equal(r.ids.length, payloads[i]!.length, `request ${i}: one id per alert`);
        const rows = await stored(deps, r.ids);
        // each id is the alert sent at its place, with that alert's decisions
        assert.deepEqual(
          r.ids.map((id) => ({ source: rows.get(id)?.source, values: rows.get(id)?.values })),
          payloads[i]!.map((a) => ({
            source: (a.source as { value: string }).value,
            values: (a.decisions as { value: string }[]).map((d) => d.value),
          })),
          `request ${i}: its ids, in order`,
        );
        for (const s of [...rows.values()].flatMap((x) => x.seqs)) {
          assert.equal(s, r.seq, `request ${i}: its decisions carry the sequence it was given`);
          seqs.add(s);
        }
        assert.equal(await valuesStored(deps, values), values.length, `request ${i}: every decision is stored`);
      } else {
        assert.equal(o.status, 'rejected', `request ${i} should have failed`);
        assert.match(String((o as PromiseRejectedResult).reason), want);
        assert.equal(await valuesStored(deps, values), 0, `request ${i}: nothing of it is stored`);
      }
    }
    assert.equal(seqs.size, c.transactions, 'transactions that stored decisions');
    const ids = outcomes.flatMap((o) => (o.status === 'fulfilled' ? o.value.ids : []));
    assert.equal(new Set(ids).size, ids.length, 'no id is given twice');

    // the store takes writes as before once the failure is gone
    const after = await deps.alertCommits.submit({ alerts: parseAlerts([alert('ok')], now), owner: MACHINE, now });
    assert.equal((await stored(deps, after.ids)).size, 1);
  });
}

test('group commit: concurrent pushes each answer once their batch is committed and served', async (t) => {
  const deps = await openTestDeps(t);
  const now = Date.now();
  const payloads = Array.from({ length: 20 }, () => [alert('ok')]);
  const log = { info: () => undefined };
  const results = await Promise.all(payloads.map((p) => ingestAlerts(deps, MACHINE, parseAlerts(p, now), log, now)));
  assert.deepEqual(
    results.map((ids) => ids.length),
    payloads.map(() => 1),
  );
  for (const p of payloads) {
    const value = (p[0]!.decisions as { value: string }[])[0]!.value;
    assert.equal(deps.feed.index.query(parseDecisionFilter({ ip: value }), Date.now()).length, 1, `${value} is served`);
  }
  // one transaction for all of them: every decision carries the same change sequence
  const rows = await deps.db.selectFrom('decisions').select('seq').distinct().execute();
  assert.equal(rows.length, 1);
});

test('group commit: a request alone in the queue runs in a transaction of its own, without waiting', async (t) => {
  const deps = await openTestDeps(t);
  const now = Date.now();
  const first = await deps.alertCommits.submit({ alerts: parseAlerts([alert('ok')], now), owner: null, now });
  const second = await deps.alertCommits.submit({ alerts: parseAlerts([alert('ok')], now), owner: null, now });
  assert.ok(second.seq > first.seq, 'one transaction each, in order');
  // a request whose alerts were all dropped still passes through (and stores nothing)
  assert.deepEqual(await deps.alertCommits.submit({ alerts: [], owner: null, now }), { ids: [], uuids: [], seq: 0 });
});

test('an item alone that the engine picks as a deadlock victim runs again (its transaction was rolled back whole); other errors do not', async () => {
  const calls: string[] = [];
  const deadlock = Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), { errno: 1213 });
  let victims = 2;
  const gc = new GroupCommit<string, string>({
    batch: async () => {
      throw new Error('the whole transaction failed');
    },
    single: async (item) => {
      calls.push(item);
      if (item === 'victim' && victims-- > 0) throw deadlock;
      if (item === 'bad') throw new Error('constraint');
      return `${item} stored`;
    },
    weight: () => 1,
    maxWeight: 10,
  });
  const [a, b] = await Promise.allSettled([gc.submit('victim'), gc.submit('bad')]);
  assert.deepEqual(a, { status: 'fulfilled', value: 'victim stored' });
  assert.equal(b.status, 'rejected');
  assert.deepEqual(calls, ['victim', 'victim', 'victim', 'bad']);
});
