import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { localRegistry } from '../helpers/local-registry.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * What a user gets from `npm pack` / the registry: the tarball installed globally into a temporary prefix, its
 * `lapis` bin run by its shebang (with this test's node first on PATH). Dependencies come from a registry on
 * 127.0.0.1 serving the locked packages out of the npm cache `npm ci` filled (helpers/local-registry.ts), so
 * that nothing leaves the machine; better-sqlite3's prebuilt-binary download is pointed there too, answered 404,
 * and it compiles, as it does everywhere here. The packing skips `prepack`: `npm test` has just built dist/.
 */
test('npm pack → npm install -g --prefix: `lapis --version` and `lapis serve` work from the installed bin', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lapis-pack-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cache = (await run('npm', ['config', 'get', 'cache'])).stdout.trim();
  const registry = await localRegistry(join(ROOT, 'package-lock.json'), cache);
  t.after(() => registry.close());
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
    npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr',
    npm_config_registry: registry.url,
    npm_config_better_sqlite3_binary_host: `${registry.url}-/prebuilds`,
    npm_config_update_notifier: 'false',
    // and a request meant for any other host would fail, not leave: through a proxy that does not exist
    npm_config_proxy: 'http://127.0.0.1:9',
    npm_config_https_proxy: 'http://127.0.0.1:9',
    npm_config_noproxy: '127.0.0.1',
  };
  delete env.NODE_NO_WARNINGS;

  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, env });
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  const files = info!.files.map((f) => f.path);
  // the server and CLI, their migrations, the systemd unit; no tests, benches or sources
  for (const f of [
    'dist/src/cli/main.js',
    'dist/src/store/migrations/20261205-0006-blocklists.js',
    'contrib/lapis.service',
    'package.json',
  ])
    assert.ok(files.includes(f), f);
  assert.deepEqual(
    files.filter((f) => /^(dist\/(test|bench)|src|test)\//.test(f)),
    [],
  );

  const prefix = join(dir, 'prefix');
  await run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', join(dir, info!.filename)], {
    env,
    timeout: 600_000,
  });
  // everything came from the local registry (the prebuilt binary excepted, which it does not hold)
  assert.deepEqual(
    registry.misses.filter((m) => !m.startsWith('/-/prebuilds/')),
    [],
  );
  const bin = join(prefix, 'bin', 'lapis');

  const version = await run(bin, ['--version'], { env });
  assert.equal(version.stdout, `lapis ${VERSION}\n`);

  const home = join(dir, 'home');
  const config = join(dir, 'config.yaml');
  writeFileSync(config, 'api:\n  server:\n    listen_uri: 127.0.0.1:0\n  admin:\n    listen_uri: 127.0.0.1:0\n');
  const child = spawn(bin, ['serve', '-c', config], { cwd: dir, env: { ...env, LAPIS_DATA_DIR: home } });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 30_000);
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"msg":"Lapis Local API listening on (127\.0\.0\.1:\d+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(`http://${m[1]}`);
      }
    });
  });
  const health = await fetch(`${url}/health`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'up' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
