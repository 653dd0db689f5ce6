import { alertBody, sleep, type PlannedAlert, type PlannedDecision } from './alerts.js';
import { parse, type Admin, type Agent, type Reply } from './client.js';
import type { CrashLedger } from './crash-ledger.js';
import type { LapisProcess } from './server.js';

/** Unique decision values across every round of one database: the ledger identifies decisions by value. */
export class ValueSource {
  private ip = 0;
  private range = 0;

  next(): PlannedDecision {
    const type = Math.random() < 0.15 ? 'captcha' : 'ban';
    if (Math.random() < 0.1) {
      // /28s inside 172.16.0.0/12: never overlapping the 10/8 addresses that deletes and allowlist items target
      const n = this.range++;
      return { value: `172.${16 + ((n >>> 12) & 15)}.${(n >>> 4) & 255}.${(n & 15) << 4}/28`, scope: 'Range', type, duration: '4h' };
    }
    const n = ++this.ip;
    return { value: `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`, scope: 'Ip', type, duration: '4h' };
  }

  /** Mostly 1–3 alerts of 1–3 decisions; one batch in eight has 40 alerts, a longer transaction for the kill to land in. */
  batch(): PlannedAlert[] {
    const n = Math.random() < 0.125 ? 40 : 1 + Math.floor(Math.random() * 3);
    return Array.from({ length: n }, () => {
      const decisions = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => this.next());
      return { source: decisions[0]!.value, decisions };
    });
  }
}

export interface LifeStats {
  alertPosts: number;
  alertPostsAcked: number;
  alertsAcked: number;
  deletesAcked: number;
  itemsAcked: number;
  /** Requests whose answer never came: cut by the kill. */
  cut: number;
  inFlightAtKill: number;
  /** Failures while the server was up (any is a defect or an overload: the suite fails on them). */
  unexpected: string[];
}

export interface LifeOptions {
  killAfterMs: number;
  loopsPerAgent: number;
  /** The `org`-subscribed allowlist items are added to. */
  listId: string;
}

/**
 * One life of the server: every agent posts alerts from `loopsPerAgent` loops, one loop deletes acknowledged
 * decisions, one adds acknowledged addresses to an `org` allowlist; after `killAfterMs`, at a moment with
 * requests in flight, the server gets `kill -9`. Returns when every loop has seen the kill.
 */
export async function crashLife(
  server: LapisProcess,
  agents: Agent[],
  admin: Admin,
  ledger: CrashLedger,
  values: ValueSource,
  opts: LifeOptions,
): Promise<LifeStats> {
  const stats: LifeStats = {
    alertPosts: 0,
    alertPostsAcked: 0,
    alertsAcked: 0,
    deletesAcked: 0,
    itemsAcked: 0,
    cut: 0,
    inFlightAtKill: 0,
    unexpected: [],
  };
  let alive = true;
  let inFlight = 0;
  const unexpected = (what: string) => stats.unexpected.length < 20 && stats.unexpected.push(what);
  /** Sends; undefined when the kill cut the request (a failure before the kill is unexpected). */
  const send = async (what: string, fn: () => Promise<Reply>): Promise<Reply | undefined> => {
    inFlight++;
    try {
      return await fn();
    } catch (err) {
      if (alive) unexpected(`${what}: ${(err as Error).message} ${String((err as { cause?: unknown }).cause ?? '')}`);
      else stats.cut++;
      return undefined;
    } finally {
      inFlight--;
    }
  };

  const poster = async (agent: Agent) => {
    while (alive) {
      const alerts = values.batch();
      ledger.send(alerts);
      stats.alertPosts++;
      const r = await send('POST /v1/alerts', () =>
        agent.call(
          'POST',
          '/v1/alerts',
          alerts.map((a) => alertBody(a)),
        ),
      );
      if (!r) continue;
      // a 201 that arrives after the kill was still sent before it: it counts
      if (r.status !== 201) {
        unexpected(`POST /v1/alerts: ${r.status} ${r.text.slice(0, 200)}`);
        continue;
      }
      const ids = parse<string[]>(r).map(Number);
      if (ids.length !== alerts.length) unexpected(`POST /v1/alerts: ${ids.length} ids for ${alerts.length} alerts`);
      ledger.ack(ids, alerts);
      stats.alertPostsAcked++;
      stats.alertsAcked += ids.length;
    }
  };

  /** Until the kill, hands `act` one untouched value at a time (waiting 20 ms whenever none is left), then waits `pauseMs`. */
  const eachUntouched = async (pauseMs: number, act: (v: string) => Promise<void>) => {
    while (alive) {
      const v = ledger.takeUntouched();
      if (!v) {
        await sleep(20);
        continue;
      }
      await act(v);
      await sleep(pauseMs);
    }
  };

  const deleter = (agent: Agent) =>
    eachUntouched(10, async (v) => {
      ledger.deletesSent.add(v);
      const r = await send('DELETE /v1/decisions', () => agent.call('DELETE', `/v1/decisions?scopes=Ip&value=${v}`));
      if (r && r.status === 200 && parse<{ nbDeleted: string }>(r).nbDeleted === '1') {
        ledger.deletesAcked.add(v);
        stats.deletesAcked++;
      } else if (r) unexpected(`DELETE /v1/decisions?value=${v}: ${r.status} ${r.text.slice(0, 200)}`);
    });

  const allowlister = () =>
    eachUntouched(30, async (v) => {
      ledger.allowSent.add(v);
      const r = await send('POST allowlist item', () =>
        admin.call('POST', `/v1/allowlists/${opts.listId}/items`, { items: [v], description: 'crash suite' }),
      );
      if (r?.status === 201) {
        ledger.allowAcked.add(v);
        stats.itemsAcked++;
      } else if (r) unexpected(`POST allowlist item ${v}: ${r.status} ${r.text.slice(0, 200)}`);
    });

  const loops = [...agents.flatMap((a) => Array.from({ length: opts.loopsPerAgent }, () => poster(a))), deleter(agents[0]!), allowlister()];
  await sleep(opts.killAfterMs);
  // land the kill among requests, not between them
  for (const deadline = Date.now() + 1000; inFlight < 2 && Date.now() < deadline; ) await sleep(1);
  stats.inFlightAtKill = inFlight;
  alive = false;
  await server.kill9();
  await Promise.all(loops);
  return stats;
}
