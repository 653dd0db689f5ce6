import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashApiKey } from '../../../src/auth/api-key.js';
import { hashPassword } from '../../../src/auth/password.js';
import { loadConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { createAdminKey } from '../../../src/store/admin-keys.js';
import { createBouncer } from '../../../src/store/bouncers.js';
import { usingDb } from '../../../src/store/db.js';
import { createMachine } from '../../../src/store/machines.js';
import { tempDir, withTestDb } from '../../helpers/app.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

/** The credentials seeded before the server starts. Keys are long random-looking strings no generator produces. */
export const CREDS = {
  machine: 'fuzz-agent',
  password: 'fuzz-agent-password-0123456789',
  bouncer: 'fuzz-bouncer',
  bouncerKey: 'fuzz-bouncer-key-6c1f0a9e52d74b8f',
  /** Used only at the end, to read the known decisions: the fuzzer never sends its key. */
  verifier: 'fuzz-verifier',
  verifierKey: 'fuzz-verifier-key-93b0e4d8a17c2f65',
  adminKey: 'fuzz-admin-key-5e27c9d1b08a4f36',
};

export interface Target {
  config: Config;
  lapi: { host: string; port: number };
  admin: { host: string; port: number };
  /** The `lapis serve` child: its pid for RSS, its exit state for "still alive". */
  child: ChildProcess;
  /** Error-level log lines written since the last call (a 5xx leaves its stack there). */
  takeErrors(): string[];
  /** Peak resident set size of the server process so far, in KiB (Linux: VmHWM), or undefined. */
  peakRssKb(): number | undefined;
  alive(): boolean;
  /** SIGTERM, and the exit code once it has closed. */
  stop(): Promise<number | null>;
}

/**
 * A real `lapis serve` in a child process, on a fresh database of the run's engine (LAPIS_TEST_DIALECT),
 * both listeners on free ports. Credentials are written to the store before it starts.
 */
export async function startTarget(t: { after(fn: () => unknown): void }): Promise<Target> {
  const dir = tempDir(t, 'lapis-fuzz-');
  const configPath = join(dir, 'config.yaml');
  // the fuzzer guesses passwords by the thousand from one address, and must still log in afterwards
  const yaml = `config_paths:\n  data_dir: ${join(dir, 'data')}\napi:\n  server:\n    listen_uri: 127.0.0.1:0\n    log_level: info\n    limits:\n      login_failures_allowed: 1000000\n`;
  writeFileSync(configPath, withTestDb(yaml));
  const config = loadConfig({ path: configPath, env: {} });
  await usingDb(config.db, async (db) => {
    await createMachine(db, { machineId: CREDS.machine, passwordHash: await hashPassword(CREDS.password), isValidated: true });
    await createBouncer(db, { name: CREDS.bouncer, keyHash: hashApiKey(CREDS.bouncerKey) });
    await createBouncer(db, { name: CREDS.verifier, keyHash: hashApiKey(CREDS.verifierKey) });
    await createAdminKey(db, 'fuzz-admin', hashApiKey(CREDS.adminKey));
  });

  const env = { ...process.env };
  delete env.LAPIS_CONFIG;
  const child = spawn(process.execPath, [MAIN, 'serve', '-c', configPath], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  t.after(kill);
  // a test process that dies before its hooks run (killed by the runner, an uncaught error) leaves no server behind
  process.once('exit', kill);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => {
      kill();
      process.kill(process.pid, signal);
    });
  }
  const errors: string[] = [];
  let stderr = '';
  let pending = '';
  const addresses: Partial<Record<'lapi' | 'admin', { host: string; port: number }>> = {};
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lapis serve did not start\nstderr: ${stderr}\nerrors: ${errors.join('\n')}`)), 30_000);
    child.on('exit', (code) => reject(new Error(`lapis serve exited with ${code}\nstderr: ${stderr}`)));
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
    child.stdout!.on('data', (d: Buffer) => {
      const lines = (pending + d.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const m = /"msg":"Lapis (Local|admin) API listening on (.+):(\d+)"/.exec(line);
        if (m) addresses[m[1] === 'Local' ? 'lapi' : 'admin'] = { host: m[2]!.replace(/^\[|\]$/g, ''), port: Number(m[3]) };
        // pino levels: 50 error, 60 fatal
        if (/^\{"level":(5|6)0,/.test(line)) errors.push(line.slice(0, 4000));
        if (addresses.lapi && addresses.admin) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
  });
  await ready;
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    config,
    lapi: addresses.lapi!,
    admin: addresses.admin!,
    child,
    takeErrors: () => errors.splice(0),
    peakRssKb: () => {
      try {
        const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Number(m[1]) : undefined;
      } catch {
        return undefined;
      }
    },
    alive,
    stop: () =>
      new Promise((resolve) => {
        if (!alive()) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}
