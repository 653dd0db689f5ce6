import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { TestContext } from 'node:test';
import { MAIN, spawnEnv } from '../cli/helpers.js';
import { waitUntil } from './wait.js';

/** A `lapis serve` child process and the JSON lines it has logged so far. */
export interface ServeProcess {
  child: ChildProcessWithoutNullStreams;
  /** The Local API's `host:port`. */
  address: string;
  lines(): Record<string, unknown>[];
  /** Resolves with the first line logged after `from` (a count of lines) that `match` accepts. */
  waitLine(from: number, match: (line: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
  /** Sends SIGHUP and resolves with the line that reports the reload (`reloaded: …` or `reload refused…`). */
  hangup(): Promise<Record<string, unknown>>;
}

const isReloadLine = (l: Record<string, unknown>) => /^(reloaded: |reload refused)/.test(String(l.msg));

/** Starts `lapis serve -c configPath` and resolves once it logs that the Local API listens; killed when the test ends. */
export function startServe(t: TestContext, configPath: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, [MAIN, 'serve', '-c', configPath], { env: spawnEnv() });
  let out = '';
  let err = '';
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const lines = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const waitLine = async (from: number, match: (line: Record<string, unknown>) => boolean, what: string) => {
    let found: Record<string, unknown> | undefined;
    await waitUntil(
      () => {
        if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}\nstdout: ${out}\nstderr: ${err}`);
        found = lines().slice(from).find(match);
        return found !== undefined;
      },
      15_000,
      `${what}\nstdout: ${out}\nstderr: ${err}`,
    );
    return found!;
  };
  return waitLine(0, (l) => /^Lapis Local API listening on /.test(String(l.msg)), 'the listening line').then((l) => ({
    child,
    address: String(l.msg).replace('Lapis Local API listening on ', ''),
    lines,
    waitLine,
    hangup: () => {
      const from = lines().length;
      child.kill('SIGHUP');
      return waitLine(from, isReloadLine, 'the reload line');
    },
  }));
}
