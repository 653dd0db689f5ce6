/**
 * The server under benchmark, run by `bench/run.ts` as a child process: `node server-child.js <config.yaml>`.
 * It starts the Local API as `lapis serve` does, then prints one JSON line `{"bench":"listening","url":…}` on
 * stdout (the server's own log lines go there too, as JSON). It reads commands from stdin, one per line:
 *
 *   profile-start            start the V8 CPU profiler
 *   profile-stop <file>      stop it and write the profile (a .cpuprofile, as `--cpu-prof` writes)
 *   memory                   answer with process.memoryUsage()
 *   heap-snapshot <file>     write a V8 heap snapshot (for Chrome DevTools' Memory tab)
 *
 * and answers each with `{"bench":"ack","cmd":…}`. When stdin closes (the parent is gone) or on SIGTERM or
 * SIGINT, it closes the server and exits.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { createInterface } from 'node:readline';
import { writeHeapSnapshot } from 'node:v8';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/logger.js';
import { startServer } from '../src/server.js';

const cfgPath = process.argv[2];
if (!cfgPath) {
  process.stderr.write('usage: server-child.js <config.yaml>\n');
  process.exit(2);
}
const say = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench: 'ack', ...o })}\n`);

const config = loadConfig({ path: cfgPath, env: {} });
const logger = createLogger(config.logLevel);
const server = await startServer(config, logger);
process.stdout.write(`${JSON.stringify({ bench: 'listening', url: server.url, pid: process.pid })}\n`);

let stopping: Promise<void> | undefined;
const stop = (why: string) =>
  (stopping ??= (async () => {
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    try {
      await server.close();
    } catch (err) {
      process.stderr.write(`server-child: close after ${why}: ${(err as Error).message}\n`);
    }
    process.exit(0);
  })());
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

let session: Session | undefined;
const post = <T>(method: string): Promise<T> =>
  new Promise((resolve, reject) => session!.post(method, (err, res) => (err ? reject(err) : resolve(res as T))));

async function command(line: string): Promise<void> {
  const [cmd, arg] = line.trim().split(/\s+/, 2);
  if (cmd === 'profile-start') {
    session ??= new Session();
    session.connect();
    await post('Profiler.enable');
    await post('Profiler.start');
    say({ cmd });
  } else if (cmd === 'profile-stop' && session && arg) {
    const { profile } = await post<{ profile: unknown }>('Profiler.stop');
    await post('Profiler.disable');
    session.disconnect();
    writeFileSync(arg, JSON.stringify(profile));
    say({ cmd, file: arg });
  } else if (cmd === 'heap-snapshot' && arg) {
    say({ cmd, file: writeHeapSnapshot(arg) });
  } else if (cmd === 'memory') {
    say({ cmd, ...process.memoryUsage() });
  } else if (cmd) {
    say({ cmd, error: 'unknown command' });
  }
}

const rl = createInterface({ input: process.stdin });
let queue: Promise<void> = Promise.resolve();
rl.on('line', (line) => {
  queue = queue
    .then(() => command(line))
    .catch((err: Error) => {
      say({ cmd: line, error: err.message });
    });
});
rl.on('close', () => void stop('stdin closed'));
