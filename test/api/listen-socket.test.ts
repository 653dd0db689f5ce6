import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { listMachines } from '../../src/store/machines.js';
import { tempDir } from '../helpers/app.js';
import { startTestServer } from '../helpers/server.js';

/** One HTTP/1.1 request over a Unix socket. */
function overSocket(
  socketPath: string,
  path: string,
  opts: { method?: string; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: opts.method ?? 'GET', headers: { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const socketYaml = (path: string) => `    listen_socket: ${path}\n`;

test('listen_socket: the Local API answers over the socket, beside TCP, and the file goes with the server', async (t) => {
  const path = join(tempDir(t), 'lapi.sock');
  const srv = await startTestServer(t, socketYaml(path));
  assert.equal(srv.socketPath, path);
  assert.ok(lstatSync(path).isSocket());
  assert.deepEqual(await overSocket(path, '/health'), { status: 200, body: '{"status":"up"}' });
  assert.equal((await fetch(`${srv.url}/health`)).status, 200);
  await srv.close();
  assert.equal(existsSync(path), false);
});

test('listen_socket: a client on the socket counts as 127.0.0.1', async (t) => {
  const path = join(tempDir(t), 'lapi.sock');
  const srv = await startTestServer(t, socketYaml(path));
  const res = await overSocket(path, '/v1/watchers', { method: 'POST', body: '{"machine_id":"sock-agent","password":"a-password"}' });
  assert.equal(res.status, 201, res.body);
  const [machine] = await listMachines(srv.db);
  assert.equal(machine?.machineId, 'sock-agent');
  assert.equal(machine?.ipAddress, '127.0.0.1');
});

test('listen_socket: a stale socket file, left by a killed process, is replaced', async (t) => {
  const path = join(tempDir(t), 'lapi.sock');
  // a process killed while listening leaves its socket file behind
  const listenAndDie = `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
  spawnSync(process.execPath, ['-e', listenAndDie]);
  assert.ok(lstatSync(path).isSocket());
  await startTestServer(t, socketYaml(path));
  assert.equal((await overSocket(path, '/health')).status, 200);
});

test('listen_socket: a socket another process answers on, or a file that is not a socket, stops the start', async (t) => {
  const dir = tempDir(t);
  const live = join(dir, 'live.sock');
  const other = createServer((s) => s.end());
  await new Promise<void>((resolve) => other.listen(live, resolve));
  t.after(() => new Promise((r) => other.close(r)));
  await assert.rejects(startTestServer(t, socketYaml(live)), { message: `api.server.listen_socket: ${live} is in use by another process` });
  const file = join(dir, 'not-a-socket');
  writeFileSync(file, 'data');
  await assert.rejects(startTestServer(t, socketYaml(file)), { message: `api.server.listen_socket: ${file} exists and is not a socket` });
});
