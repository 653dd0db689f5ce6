import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAIN, spawnEnv } from '../cli/helpers.js';
import { pause } from '../helpers/wait.js';

/**
 * A SIGHUP that comes while `lapis serve` is still opening its store (here a "PostgreSQL" that accepts and never
 * answers) must not end the process, as node's default action would: it is kept for when the server listens.
 */
test('SIGHUP during startup does not end lapis serve', async (t) => {
  const sockets = new Set<Socket>();
  const silent = createServer((s) => sockets.add(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const { port } = silent.address() as { port: number };
  const dir = mkdtempSync(join(tmpdir(), 'lapis-hup-'));
  t.after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `db_config:\n  type: postgresql\n  host: 127.0.0.1\n  port: ${port}\n  user: postgres\n  db_name: test\n  sslmode: disable\napi:\n  server:\n    listen_uri: 127.0.0.1:0\n  admin:\n    enabled: false\n`,
  );
  const child = spawn(process.execPath, [MAIN, 'serve', '-c', config], { env: spawnEnv() });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  // the store is being opened once the fake server has a connection
  const deadline = Date.now() + 15_000;
  while (sockets.size === 0 && Date.now() < deadline) await pause(20);
  assert.ok(sockets.size > 0, `lapis serve never reached its database: ${out}`);
  child.kill('SIGHUP');
  await pause(500);
  assert.equal(child.signalCode, null, `ended by ${child.signalCode}: ${out}`);
  assert.equal(child.exitCode, null, out);
});
