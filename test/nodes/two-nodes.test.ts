import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashApiKey } from '../../src/auth/api-key.js';
import { hashPassword } from '../../src/auth/password.js';
import { createBouncer } from '../../src/store/bouncers.js';
import { usingDb } from '../../src/store/db.js';
import { createMachine } from '../../src/store/machines.js';
import { tempDir, testConfig, withTestDb } from '../helpers/app.js';
import { cscliAlert } from '../helpers/actors.js';
import { pause, waitUntil } from '../helpers/wait.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const SECRET = `${'x'.repeat(40)}shared-between-the-two-nodes-of-this-test`;

interface Node {
  url: string;
  proc: ChildProcess;
}

/** Spawns a real `lapis serve` on a random port and waits for its "listening" log line. */
async function startNode(t: { after(fn: () => unknown): void }, configPath: string): Promise<Node> {
  const proc = spawn(process.execPath, [CLI, 'serve', '-c', configPath], {
    env: { ...process.env, CS_LAPI_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => proc.kill('SIGKILL'));
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listen line: ${out}`)), 15_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(`http://${m[1]}`);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`lapis serve exited with ${code}: ${out}`)));
  });
  return { url, proc };
}

interface WireDecision {
  id: number;
  value: string;
}

test('two lapis serve processes on one database act as one server, and the survivor carries on', async (t) => {
  const dir = tempDir(t);
  // the data dir in the file itself: the spawned nodes do not inherit the test's LAPIS_DATA_DIR
  const yaml = withTestDb(`api:\n  server:\n    listen_uri: 127.0.0.1:0\nconfig_paths:\n  data_dir: ${join(dir, 'data')}\n`);
  const config = testConfig(dir, yaml);
  const configPath = join(dir, 'config.yaml');
  await usingDb(config.db, async (db) => {
    await createMachine(db, { machineId: 'agent', passwordHash: await hashPassword('pw'), isValidated: true });
    await createBouncer(db, { name: 'fw', keyHash: hashApiKey('fw-key') });
  });
  const a = await startNode(t, configPath);
  const b = await startNode(t, configPath);

  // a token from A works on B: one JWT secret
  const login = await fetch(`${a.url}/v1/watchers/login`, {
    method: 'POST',
    headers: { 'user-agent': 'test/1' },
    body: JSON.stringify({ machine_id: 'agent', password: 'pw' }),
  });
  const loginBody = (await login.json()) as { token: string };
  assert.equal(login.status, 200, JSON.stringify(loginBody));
  const { token } = loginBody;
  assert.equal((await fetch(`${b.url}/v1/heartbeat`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  const machine = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  // a bouncer alternating between the nodes sees every change exactly once
  const view = new Map<string, number>();
  const seen = { new: new Set<number>(), deleted: new Set<number>() };
  let pulls = 0;
  const pull = async (startup = false) => {
    const node = pulls++ % 2 === 0 ? a : b;
    const res = await fetch(`${node.url}/v1/decisions/stream${startup ? '?startup=true' : ''}`, { headers: { 'x-api-key': 'fw-key' } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { new: WireDecision[] | null; deleted: WireDecision[] | null };
    for (const d of body.deleted ?? []) {
      assert.ok(!seen.deleted.has(d.id), `decision ${d.id} deleted twice`);
      seen.deleted.add(d.id);
      view.delete(d.value);
    }
    for (const d of body.new ?? []) {
      assert.ok(!seen.new.has(d.id), `decision ${d.id} new twice`);
      seen.new.add(d.id);
      view.set(d.value, d.id);
    }
  };
  await pull(true);

  // a write on A is visible through B's query mode within 1 s
  const started = Date.now();
  assert.equal(
    (await fetch(`${a.url}/v1/alerts`, { method: 'POST', headers: machine, body: JSON.stringify([cscliAlert('192.0.2.1')]) })).status,
    201,
  );
  let visibleAfter = -1;
  while (Date.now() - started < 1000) {
    const r = await fetch(`${b.url}/v1/decisions?ip=192.0.2.1`, { headers: { 'x-api-key': 'fw-key' } });
    if ((await r.text()) !== 'null') {
      visibleAfter = Date.now() - started;
      break;
    }
    await pause(20);
  }
  assert.ok(visibleAfter >= 0 && visibleAfter <= 1000, `B saw A's write after ${visibleAfter} ms`);

  for (let i = 0; i < 20; i++) {
    const alert = cscliAlert(`198.51.100.${i}`);
    assert.equal((await fetch(`${a.url}/v1/alerts`, { method: 'POST', headers: machine, body: JSON.stringify([alert]) })).status, 201);
    if (i % 4 === 3) await fetch(`${a.url}/v1/decisions?ip=198.51.100.${i - 1}`, { method: 'DELETE', headers: machine });
    await pull();
  }
  // both nodes have polled: B serves A's last write and its last delete
  const bServes = async (ip: string) =>
    (await (await fetch(`${b.url}/v1/decisions?ip=${ip}`, { headers: { 'x-api-key': 'fw-key' } })).text()) !== 'null';
  await waitUntil(async () => (await bServes('198.51.100.19')) && !(await bServes('198.51.100.18')), 5000, 'B to catch up with A');
  await pull();
  await pull();
  const expected = ['192.0.2.1', ...Array.from({ length: 20 }, (_, i) => `198.51.100.${i}`).filter((_, i) => i % 4 !== 2)];
  assert.deepEqual([...view.keys()].sort(), expected.sort());

  // A dies; B keeps serving and catching up
  a.proc.kill('SIGKILL');
  await new Promise((r) => a.proc.once('exit', r));
  assert.equal(
    (await fetch(`${b.url}/v1/alerts`, { method: 'POST', headers: machine, body: JSON.stringify([cscliAlert('203.0.113.7')]) })).status,
    201,
  );
  assert.equal((await fetch(`${b.url}/v1/decisions?ip=198.51.100.0`, { method: 'DELETE', headers: machine })).status, 200);
  const res = await fetch(`${b.url}/v1/decisions/stream`, { headers: { 'x-api-key': 'fw-key' } });
  const last = (await res.json()) as { new: WireDecision[] | null; deleted: WireDecision[] | null };
  assert.deepEqual(
    last.new?.map((d) => d.value),
    ['203.0.113.7'],
  );
  assert.deepEqual(
    last.deleted?.map((d) => d.value),
    ['198.51.100.0'],
  );
});
