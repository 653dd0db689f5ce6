import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashApiKey } from '../../src/auth/api-key.js';
import { hashPassword } from '../../src/auth/password.js';
import { createBouncer } from '../../src/store/bouncers.js';
import { createMachine } from '../../src/store/machines.js';
import { cscliAlert } from '../helpers/actors.js';
import { startTestServer } from '../helpers/server.js';
import { pause } from '../helpers/wait.js';

interface WireDecision {
  id: number;
  value: string;
  type: string;
  scope: string;
}

const BATCH = 100;
const BATCHES_PER_WRITER = 50; // 2 writers × 50 × 100 = 10,000 decisions

test('two writers add and delete 10,000 decisions while three bouncers stream: every view ends equal to the active set', async (t) => {
  const srv = await startTestServer(t);
  await createMachine(srv.db, { machineId: 'writer', passwordHash: await hashPassword('pw'), isValidated: true });
  for (const b of ['b1', 'b2', 'b3']) await createBouncer(srv.db, { name: b, keyHash: hashApiKey(`key-${b}`) });
  const login = await fetch(`${srv.url}/v1/watchers/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'test/1' },
    body: JSON.stringify({ machine_id: 'writer', password: 'pw' }),
  });
  const { token } = (await login.json()) as { token: string };
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  const writer = async (w: number) => {
    for (let b = 0; b < BATCHES_PER_WRITER; b++) {
      const alert = cscliAlert(`10.${w}.${b}.0`);
      alert.decisions = Array.from({ length: BATCH }, (_, i) => ({ ...alert.decisions[0]!, value: `10.${w}.${b}.${i}` }));
      const res = await fetch(`${srv.url}/v1/alerts`, { method: 'POST', headers: auth, body: JSON.stringify([alert]) });
      assert.equal(res.status, 201);
      // every third batch is deleted again, some right away and some later
      if (b % 3 === 0) {
        const del = await fetch(`${srv.url}/v1/decisions?range=10.${w}.${b}.0/24&contains=false`, { method: 'DELETE', headers: auth });
        assert.deepEqual(await del.json(), { nbDeleted: String(BATCH) });
      }
      if (b % 5 === 4) {
        const del = await fetch(`${srv.url}/v1/decisions?ip=10.${w}.${b - 2}.7`, { method: 'DELETE', headers: auth });
        assert.equal(del.status, 200);
      }
    }
  };

  let writing = true;
  const bouncer = async (name: string) => {
    const view = new Map<string, number>();
    const seenNew = new Set<number>();
    const seenDeleted = new Set<number>();
    const pull = async (startup: boolean) => {
      const res = await fetch(`${srv.url}/v1/decisions/stream${startup ? '?startup=true' : ''}`, {
        headers: { 'x-api-key': `key-${name}` },
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { new: WireDecision[] | null; deleted: WireDecision[] | null };
      for (const d of body.deleted ?? []) {
        assert.ok(!seenDeleted.has(d.id), `${name}: decision ${d.id} deleted twice`);
        seenDeleted.add(d.id);
        view.delete(`${d.scope}|${d.value}|${d.type}`);
      }
      for (const d of body.new ?? []) {
        assert.ok(!seenNew.has(d.id), `${name}: decision ${d.id} sent twice`);
        seenNew.add(d.id);
        view.set(`${d.scope}|${d.value}|${d.type}`, d.id);
      }
    };
    await pull(true);
    const deadline = Date.now() + 120_000;
    while (writing && Date.now() < deadline) {
      await pause(100); // a bouncer's pull interval, while the writers write
      await pull(false);
    }
    await pull(false);
    return view;
  };

  const views = Promise.all(['b1', 'b2', 'b3'].map(bouncer));
  await Promise.all([writer(1), writer(2)]);
  writing = false;
  const results = await views;

  const active = await srv.db.selectFrom('decisions').select(['id', 'scope', 'value', 'type']).where('until', '>', Date.now()).execute();
  const expected = new Map(active.map((d) => [`${d.scope}|${d.value}|${d.type}`, Number(d.id)]));
  assert.ok(expected.size > 6000, `active set unexpectedly small: ${expected.size}`);
  for (const view of results) {
    assert.equal(view.size, expected.size);
    assert.deepEqual(new Map([...view].sort()), new Map([...expected].sort()));
  }
});
