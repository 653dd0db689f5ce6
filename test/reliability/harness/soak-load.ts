import { alertBody, pick, sleep, type PlannedDecision } from './alerts.js';
import { http, parse, type Admin, type Agent, type Bouncer, type Traffic } from './client.js';
import type { StreamView } from './stream-view.js';

/**
 * The soak's value pool: a bounded set of keys (4,096 IPv4 addresses, 4,096 /28s, 1,024 IPv6 addresses), so that
 * keys repeat (several decisions per key, deduplication) and the active set stays bounded with short durations.
 */
export const pool = {
  ip: () => {
    const n = Math.floor(Math.random() * 4096);
    return `10.77.${n >>> 8}.${n & 255}`;
  },
  range: () => {
    const n = Math.floor(Math.random() * 4096);
    return `172.20.${(n >>> 4) & 255}.${(n & 15) << 4}/28`;
  },
  ip6: () => `2001:db8:77::${Math.floor(Math.random() * 1024).toString(16)}`,
};

function decision(): PlannedDecision {
  const r = Math.random();
  const [value, scope] = r < 0.8 ? [pool.ip(), 'Ip' as const] : r < 0.9 ? [pool.range(), 'Range' as const] : [pool.ip6(), 'Ip' as const];
  // short-lived: the active set stays around rate × mean duration, so that memory is flat unless something leaks
  return { value, scope, type: Math.random() < 0.85 ? 'ban' : 'captcha', duration: `${5 + Math.floor(Math.random() * 55)}s` };
}

export interface SoakTargets {
  agents: Agent[];
  live: Bouncer[];
  streams: StreamView[];
  admin: Admin;
  /** Lists: one subscribed by some bouncers (hides values from them), one subscribed `org` (ends decisions). */
  bouncerList: string;
  orgList: string;
  /** A bouncer whose subscription to `bouncerList` is toggled during the run. */
  toggled: string;
  metricsUrl: string;
}

export interface SoakFigures {
  decisionsCreated: number;
  activeDecisionsMax: number;
  activeDecisionsLast: number;
  /** nodejs_heap_size_used_bytes, when the metrics endpoint has it. */
  heapMetric: number | undefined;
  allowlistChanges: number;
}

/** Runs `body` until `until`, pausing `pauseMs` between turns; a failed turn is counted by Traffic and the loop goes on. */
async function loop(until: () => boolean, pauseMs: () => number, body: (turn: number) => Promise<void>): Promise<void> {
  for (let turn = 1; !until(); turn++) {
    try {
      await body(turn);
    } catch {
      // Traffic has counted it; a soak keeps going and reports
    }
    await sleep(pauseMs());
  }
}

export function emptyFigures(): SoakFigures {
  return { decisionsCreated: 0, activeDecisionsMax: 0, activeDecisionsLast: 0, heapMetric: undefined, allowlistChanges: 0 };
}

/** The soak's workload for `seconds`: agents, live and stream bouncers, allowlist churn, metrics scrapes; counts into `fig` as it goes. */
export async function runSoakLoad(x: SoakTargets, traffic: Traffic, seconds: number, fig: SoakFigures): Promise<void> {
  const end = Date.now() + seconds * 1000;
  const over = () => Date.now() >= end;
  const ok200 = (s: number) => s === 200;

  // about 2 posts a second per agent, ~9 decisions a second in all: every decision stays in memory for 24 h after
  // it ends (the stream grace period), ~600 B each, so the rate is kept where that growth stays well under the slack
  const agent = (a: Agent) =>
    loop(
      over,
      () => 300 + Math.random() * 400,
      async (turn) => {
        const alerts = Array.from({ length: Math.random() < 0.2 ? 2 : 1 }, () => {
          const decisions = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, decision);
          return alertBody({ source: decisions[0]!.value, decisions }, Math.random() < 0.5 ? 'crowdsec' : 'cscli');
        });
        const r = await traffic.track(
          'POST /v1/alerts',
          () => a.call('POST', '/v1/alerts', alerts),
          (s) => s === 201,
        );
        if (r.status === 201) fig.decisionsCreated += alerts.reduce((n, al) => n + al.decisions.length, 0);
        if (turn % 5 === 0)
          await traffic.track('DELETE /v1/decisions', () => a.call('DELETE', `/v1/decisions?scopes=Ip&value=${pool.ip()}`), ok200);
        if (turn % 7 === 0) await traffic.track('GET /v1/alerts', () => a.call('GET', '/v1/alerts?limit=20&since=1m'), ok200);
        if (turn % 13 === 0) await traffic.track('GET /v1/heartbeat', () => a.call('GET', '/v1/heartbeat'), ok200);
      },
    );

  const live = (b: Bouncer) =>
    loop(
      over,
      () => 10 + Math.random() * 20,
      async (turn) => {
        const path =
          turn % 40 === 0
            ? '/v1/decisions'
            : turn % 9 === 0
              ? `/v1/decisions?range=10.77.${turn % 16}.0/24&contains=false`
              : `/v1/decisions?ip=${pool.ip()}`;
        await traffic.track(turn % 40 === 0 ? 'live all' : 'live ip/range', () => b.get(path), ok200);
      },
    );

  const stream = (v: StreamView) =>
    loop(
      over,
      () => 250 + Math.random() * 500,
      () => v.pull(),
    );

  const items = async (list: string) => {
    const r = await traffic.track('admin list items', () => x.admin.call('GET', `/v1/allowlists/${list}/items?size=100`), ok200);
    return parse<{ items: { id: string }[] }>(r).items;
  };
  let subscribed = false;
  const churn = loop(
    over,
    () => 500 + Math.random() * 500,
    async (turn) => {
      fig.allowlistChanges++;
      if (turn % 10 === 0) {
        // subscription churn: the toggled bouncer starts or stops being covered by every item of the list at once
        const r = subscribed
          ? await traffic.track(
              'admin unsubscribe',
              () =>
                x.admin.call(
                  'DELETE',
                  `/v1/allowlists/${x.bouncerList}/subscribers/${x.toggled}?entity_type=remediation_component_integration`,
                ),
              (s) => s === 204,
            )
          : await traffic.track(
              'admin subscribe',
              () =>
                x.admin.call('POST', `/v1/allowlists/${x.bouncerList}/subscribers`, {
                  ids: [x.toggled],
                  entity_type: 'remediation_component_integration',
                }),
              ok200,
            );
        if (r.status < 300) subscribed = !subscribed;
        return;
      }
      const list = turn % 4 === 0 ? x.orgList : x.bouncerList;
      const present = await items(list);
      if (present.length > (list === x.orgList ? 8 : 20) || (present.length > 0 && Math.random() < 0.4)) {
        const id = pick(present).id;
        await traffic.track(
          'admin remove item',
          () => x.admin.call('DELETE', `/v1/allowlists/${list}/items/${id}`),
          (s) => s === 204,
        );
        return;
      }
      const value =
        Math.random() < 0.6
          ? pool.ip()
          : Math.random() < 0.7
            ? `10.77.${Math.floor(Math.random() * 16)}.${16 * Math.floor(Math.random() * 16)}/28`
            : `${pool.ip6()}/126`;
      // items that expire on their own, but never near the end: the final comparison must not race an expiry
      const expiring = list === x.bouncerList && Math.random() < 0.3 && Date.now() < end - 20_000;
      const body = {
        items: [value],
        description: 'soak',
        ...(expiring ? { expiration: new Date(Date.now() + 3000 + Math.random() * 7000).toISOString() } : {}),
      };
      await traffic.track(
        'admin add item',
        () => x.admin.call('POST', `/v1/allowlists/${list}/items`, body),
        (s) => s === 201,
      );
    },
  );

  const scrape = loop(
    over,
    () => 5000,
    async () => {
      const r = await traffic.track('metrics scrape', () => http(x.metricsUrl), ok200);
      let active = 0;
      for (const m of r.text.matchAll(/^cs_active_decisions\{[^}]*\} (\d+)$/gm)) active += Number(m[1]);
      fig.activeDecisionsLast = active;
      fig.activeDecisionsMax = Math.max(fig.activeDecisionsMax, active);
      const heap = /^nodejs_heap_size_used_bytes (\d+)/m.exec(r.text);
      if (heap) fig.heapMetric = Number(heap[1]);
    },
  );

  await Promise.all([...x.agents.map(agent), ...x.live.map(live), ...x.streams.map(stream), churn, scrape]);
}
