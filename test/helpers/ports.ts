import { createServer } from 'node:net';

/**
 * A port free on 127.0.0.1 right now, for a listener whose address the test must know before it starts (a CLI
 * command reads it from the config: `lapis status`, `lapis metrics`), or that logs no address at all.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
