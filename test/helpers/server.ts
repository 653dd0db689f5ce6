import { pino } from 'pino';
import { startServer, type RunningServer } from '../../src/server.js';
import { usingDb, type Db } from '../../src/store/db.js';
import { tempDir, testDbConfig } from './app.js';
import type { After } from './context.js';

/**
 * A real `lapis serve` listener on 127.0.0.1 and a random port, in this process; closed when the test ends.
 * `seed` writes to the store before the server starts, so that it loads the writes rather than polls for them.
 */
export async function startTestServer(t: After, yaml = '', seed?: (db: Db) => Promise<unknown>): Promise<RunningServer & { dir: string }> {
  const dir = tempDir(t);
  const config = testDbConfig(dir, `api:\n  server:\n    listen_uri: 127.0.0.1:0\n${yaml}`);
  if (seed) await usingDb(config.db, seed);
  const server = await startServer(config, pino({ level: 'silent' }));
  t.after(() => server.close());
  return { ...server, dir };
}
