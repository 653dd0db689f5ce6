import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { CliIo } from '../../src/cli/context.js';
import { Printer, type OutputFormat } from '../../src/cli/output.js';
import { runCli } from '../../src/cli/run.js';
import { usingDb, type Db } from '../../src/store/db.js';
import { tempDir, withTestDb } from '../helpers/app.js';
import type { After } from '../helpers/context.js';

/** A config file in a temp dir (data dir inside it, the run's database engine), loaded. */
export interface CliEnv {
  dir: string;
  configPath: string;
  /** Loaded on first use (a test may write a config that does not load). */
  readonly config: Config;
}

/** `migrated: false` gives an empty database (the default: one cloned from the run's migrated template). */
export function cliEnv(t: After, yaml = '', opts: { migrated?: boolean } = {}): CliEnv {
  const dir = tempDir(t, 'lapis-cli-');
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, withTestDb(`config_paths:\n  data_dir: ${join(dir, 'data')}\n${yaml}`, undefined, opts.migrated));
  let config: Config | undefined;
  return {
    dir,
    configPath,
    get config() {
      return (config ??= loadConfig({ path: configPath, env: {} }));
    },
  };
}

export function withEnvDb<T>(env: CliEnv, fn: (db: Db) => Promise<T>): Promise<T> {
  return usingDb(env.config.db, fn);
}

export interface Captured {
  io: CliIo;
  stdout(): string;
  stderr(): string;
}

/** An io that records what a command prints; `answers` are given to confirmation prompts in turn. */
export function capture(opts: { answers?: boolean[]; env?: NodeJS.ProcessEnv } = {}): Captured {
  let out = '';
  let err = '';
  const answers = opts.answers ? [...opts.answers] : undefined;
  return {
    io: {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      env: opts.env ?? {},
      confirm: answers ? async () => answers.shift() ?? false : undefined,
    },
    stdout: () => out,
    stderr: () => err,
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command line in this process with `-c <env's config>` appended. */
export async function cli(env: CliEnv | null, argv: string[], opts: { answers?: boolean[] } = {}): Promise<CliRun> {
  const c = capture(opts);
  const code = await runCli(env ? [...argv, '-c', env.configPath] : argv, c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

/** A Printer writing into strings. */
export function printer(format: OutputFormat = 'human'): { out: Printer; stdout(): string; stderr(): string } {
  let o = '';
  let e = '';
  return {
    out: new Printer(format, { write: (s: string) => (o += s) }, { write: (s: string) => (e += s) }),
    stdout: () => o,
    stderr: () => e,
  };
}

/** dist/src/cli/main.js, from dist/test/cli/. */
export const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** The environment for spawned runs: without NODE_NO_WARNINGS, so that warning filtering is really tested. */
export function spawnEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_NO_WARNINGS;
  delete env.LAPIS_CONFIG;
  return env;
}

/** Runs `node dist/src/cli/main.js …` to completion. */
export function runMain(argv: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...argv], { env: spawnEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timeout: lapis ${argv.join(' ')}\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
