import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { After } from '../helpers/context.js';
import { MAIN, spawnEnv } from '../cli/helpers.js';

export interface Served {
  child: ChildProcessWithoutNullStreams;
  /** The Local API's URL, from its listening line. */
  url: string;
  /** The admin API's URL, when it listens. */
  adminUrl: string | undefined;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code once the process is gone. */
  stop(): Promise<number | null>;
}

/** `<log_dir>/lapis.log` when the config file says `log_media: file` (the tests write it plainly). */
function logFileOf(configPath: string): string | undefined {
  const text = readFileSync(configPath, 'utf8');
  const dir = /^\s*log_dir: (.+)$/m.exec(text)?.[1];
  return /^\s*log_media: file$/m.test(text) && dir ? join(dir.trim(), 'lapis.log') : undefined;
}

/**
 * Spawns `lapis serve -c CONFIG` and resolves once its listening lines are written, on stdout or, when
 * `logFile` is given, in that file (log_media: file leaves stdout empty).
 */
export function spawnServe(t: After, configPath: string, logFile?: string): Promise<Served> {
  logFile ??= logFileOf(configPath);
  const child = spawn(process.execPath, [MAIN, 'serve', '-c', configPath], { env: spawnEnv() });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines = () => (logFile ? (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '') : out);
  const listening = (what: string) => new RegExp(`"msg":"Lapis ${what} listening on ([^"]+)"`).exec(lines())?.[1];
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const api = listening('Local API');
      const admin = listening('admin API');
      if (api && admin) {
        clearInterval(poll);
        const scheme = (host: string) => (/"url":"https:/.test(lines()) ? `https://${host}` : `http://${host}`);
        resolve({
          child,
          url: scheme(api),
          adminUrl: scheme(admin),
          stdout: () => out,
          stderr: () => err,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      } else if (child.exitCode !== null || Date.now() - started > 15_000) {
        clearInterval(poll);
        reject(new Error(`serve did not start (exit ${child.exitCode})\nstdout: ${out}\nstderr: ${err}\nlog: ${lines()}`));
      }
    }, 50);
  });
}
