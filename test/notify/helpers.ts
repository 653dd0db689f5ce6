import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { parseNotifiers, type NotifierConfig } from '../../src/notify/config.js';
import { NotificationDispatcher } from '../../src/notify/dispatcher.js';
import type { DispatcherOptions, NotifyLogger } from '../../src/notify/types.js';
import { fixture } from '../helpers/fixture-alerts.js';
import { waitUntil } from '../helpers/wait.js';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the receiver answers to its n-th request (0-based): a status, after an optional delay. */
export type Reply = (n: number) => { status: number; delayMs?: number };

export interface Receiver {
  url: string;
  requests: Received[];
  /** Resolves once `n` requests have arrived; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
}

/** A real HTTP server on 127.0.0.1 that records every request; closed (connections included) in t.after. */
export async function startReceiver(t: TestContext, reply: Reply = () => ({ status: 200 })): Promise<Receiver> {
  const requests: Received[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = requests.length;
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const { status, delayMs = 0 } = reply(n);
      const answer = () => res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
      if (delayMs === 0) return answer();
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer();
      }, delayMs);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const timer of timers) clearTimeout(timer);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    waitFor: (n, timeoutMs = 3000) =>
      waitUntil(() => requests.length >= n, timeoutMs, `${n} requests (got ${requests.length})`).then(() => requests),
  };
}

export interface LogEntry {
  level: keyof NotifyLogger;
  obj: Record<string, unknown>;
  msg: string;
}

/** A logger that keeps every line. */
export function captureLogger(): NotifyLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: keyof NotifyLogger) => (obj: object, msg: string) => entries.push({ level, obj: obj as Record<string, unknown>, msg });
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** One http notifier named `name` from YAML keys (`url` and `format` default to the receiver and toJson). */
export function httpNotifier(url: string, yaml = '', name = 'http_default'): NotifierConfig {
  const keys = yaml.includes('format:') ? yaml : `${yaml}\nformat: '{{.|toJson}}'`;
  const [config] = parseNotifiers(`type: http\nname: ${name}\nurl: ${url}\n${keys}`, 'test.yaml', { env: {} });
  return config!;
}

/** A dispatcher over `configs`, closed in t.after; short backoff so that retries are quick. */
export function dispatcher(t: TestContext, configs: NotifierConfig[], options: Partial<DispatcherOptions> = {}) {
  const logger = captureLogger();
  const d = new NotificationDispatcher(configs, { logger, backoffBaseMs: 10, backoffCapMs: 50, drainTimeoutMs: 500, ...options });
  t.after(() => d.close(100));
  return { d, logger };
}

/** The ssh-bf fixture alert, with `i` in its source so that alerts can be told apart. */
export function alert(i = 0): Record<string, unknown> {
  const a = fixture('ssh-bf-alert.json');
  const ip = `192.0.2.${i}`;
  return { ...a, source: { ...(a.source as object), ip, value: ip } };
}
