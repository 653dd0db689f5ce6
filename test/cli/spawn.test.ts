import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { helpText } from '../../src/cli/help.js';
import { ROOT } from '../../src/cli/run.js';
import { cliEnv, MAIN, runMain, spawnEnv } from './helpers.js';

/** Starts `lapis serve` and resolves with its address once it logs `Lapis Local API listening on HOST:PORT`. */
function startServe(
  t: TestContext,
  configPath: string,
): Promise<{ child: ChildProcessWithoutNullStreams; host: string; port: number; output(): string }> {
  const child = spawn(process.execPath, [MAIN, 'serve', '-c', configPath], { env: spawnEnv() });
  let out = '';
  let err = '';
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start\nstdout: ${out}\nstderr: ${err}`)), 15_000);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}\nstdout: ${out}\nstderr: ${err}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        const m = /^\{.*"msg":"Lapis Local API listening on (.+):(\d+)"\}$/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve({ child, host: m[1]!, port: Number(m[2]), output: () => out });
        }
      }
    });
  });
}

test('a bad config key: exit 1 and one line naming the key', async (t) => {
  const env = cliEnv(t, 'api:\n  server:\n    listen_urii: 127.0.0.1:0\n');
  const r = await runMain(['machines', 'list', '-c', env.configPath]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'Error: lapis machines list: config: api.server.listen_urii: unknown key\n');
});

test('an unknown command: usage on stdout, one line on stderr, exit 1', async () => {
  const r = await runMain(['bouncers', 'foo']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, helpText([ROOT, ROOT.commands.find((c) => c.name === 'bouncers')!]));
  assert.equal(r.stderr, 'Error: unknown command "foo" for "lapis bouncers"\n');
});

test('bouncers add -o raw prints the bare key and nothing else (no warning either)', async (t) => {
  const env = cliEnv(t);
  const r = await runMain(['bouncers', 'add', 'x', '-o', 'raw', '-c', env.configPath]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^[A-Za-z0-9+/]{43}$/);
  assert.equal(r.stderr, '');
});

test('serve, machines add while it runs, lapi status against it, SIGTERM closes it; a taken port fails in one line', async (t) => {
  const env = cliEnv(t, 'api:\n  server:\n    listen_uri: 127.0.0.1:0\n');
  const server = await startServe(t, env.configPath);
  assert.equal(server.host, '127.0.0.1');
  const url = `http://${server.host}:${server.port}`;
  const creds = join(env.dir, 'creds.yaml');

  const add = await runMain(['machines', 'add', 'm1', '--password', 'p4ssw0rd-of-m1', '-f', creds, '-u', url, '-c', env.configPath]);
  assert.equal(add.code, 0, add.stderr);
  assert.equal(add.stderr, `Machine 'm1' successfully added to the local API.\nAPI credentials written to '${creds}'.\n`);

  const client = join(env.dir, 'client.yaml');
  writeFileSync(client, `api:\n  client:\n    credentials_path: ${creds}\n`);
  const status = await runMain(['lapi', 'status', '-c', client]);
  assert.equal(status.code, 0, status.stderr);
  assert.equal(
    status.stdout,
    `Loaded credentials from ${creds}\nTrying to authenticate with username "m1" on ${url}/\nYou can successfully interact with Local API (LAPI)\n`,
  );
  assert.equal(status.stderr, '');

  // the port is taken now: a second server fails at once
  const taken = join(env.dir, 'taken.yaml');
  writeFileSync(taken, `config_paths:\n  data_dir: ${join(env.dir, 'data2')}\napi:\n  server:\n    listen_uri: 127.0.0.1:${server.port}\n`);
  const second = await runMain(['serve', '-c', taken]);
  assert.equal(second.code, 1);
  assert.equal(second.stderr, `Error: lapis serve: listen EADDRINUSE: address already in use 127.0.0.1:${server.port}\n`);

  server.child.removeAllListeners('exit');
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  server.child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(server.output(), /"signal":"SIGTERM","msg":"shutting down"\}\n.*"msg":"Lapis Local API stopped"\}\n$/);
});

test('serve on a port held by another process fails in one line, exit 1', async (t) => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.after(() => holder.close());
  const port = (holder.address() as { port: number }).port;
  const env = cliEnv(t, `api:\n  server:\n    listen_uri: 127.0.0.1:${port}\n`);
  const r = await runMain(['serve', '-c', env.configPath]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `Error: lapis serve: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n`);
});

test("warnings.ts drops only node:sqlite's ExperimentalWarning; other warnings still print", async () => {
  const warnings = new URL('../../src/cli/warnings.js', import.meta.url).href;
  const script = [
    `await import(${JSON.stringify(warnings)});`,
    "process.emitWarning('SQLite is an experimental feature and might change at any time', 'ExperimentalWarning');",
    "process.emitWarning('something else', 'DeprecationWarning');",
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: spawnEnv() });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0);
  assert.equal(stderr, `(node:${child.pid}) DeprecationWarning: something else\n`);
});

test('serve when the admin port is taken fails in one line that says which setting moves it', async (t) => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.after(() => holder.close());
  const port = (holder.address() as { port: number }).port;
  const env = cliEnv(t, `api:\n  server:\n    listen_uri: 127.0.0.1:0\n  admin:\n    listen_uri: 127.0.0.1:${port}\n`);
  const r = await runMain(['serve', '-c', env.configPath]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `Error: lapis serve: admin API: listen EADDRINUSE: address already in use 127.0.0.1:${port} (set api.admin.listen_uri, or api.admin.enabled: false)\n`,
  );
});
