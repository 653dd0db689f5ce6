import type { TestContext } from 'node:test';
import { pino } from 'pino';
import { startServer, type RunningServer } from '../../src/server.js';
import { tempDir, testDbConfig } from './app.js';

/** A real `lapis serve` listener on 127.0.0.1 and a random port, in this process; closed when the test ends. */
export async function startTestServer(
  t: TestContext | { after(fn: () => unknown): void },
  yaml = '',
): Promise<RunningServer & { dir: string }> {
  const dir = tempDir(t);
  const config = testDbConfig(dir, `api:\n  server:\n    listen_uri: 127.0.0.1:0\n${yaml}`);
  const server = await startServer(config, pino({ level: 'silent' }));
  t.after(() => server.close());
  return { ...server, dir };
}
