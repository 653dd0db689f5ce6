import { holdsBan, INGEST_BASE, ip4, login, query, UA } from '../api.js';
import { memory, type ServerChild, withCpu } from '../child.js';
import { buildRequest, runLoad } from '../load.js';
import { cores, fmt, log, type Row, statusText } from '../report.js';
import type { PhaseContext } from './context.js';

/** An alert as an agent sends it for an ssh brute force: one decision, two events carrying meta. */
function agentAlert(ip: string, now: string): string {
  const event = (n: number) => ({
    meta: [
      { key: 'log_type', value: 'ssh_failed-auth' },
      { key: 'service', value: 'ssh' },
      { key: 'source_ip', value: ip },
      { key: 'target_user', value: `user${n}` },
    ],
    timestamp: now,
  });
  const scenario = 'crowdsecurity/ssh-bf';
  return JSON.stringify([
    {
      capacity: 5,
      decisions: [{ duration: '4h', origin: 'crowdsec', scenario, scope: 'Ip', type: 'ban', value: ip }],
      events: [event(1), event(2)],
      events_count: 6,
      labels: null,
      leakspeed: '10s',
      message: `Ip ${ip} performed '${scenario}' (6 events over 2s) at ${now}`,
      remediation: true,
      scenario,
      scenario_hash: '4441dcff07020f6690d998b7101e642359ba405c2abb83565bbbdcee36de280f',
      scenario_version: '0.1',
      simulated: false,
      source: { ip, scope: 'Ip', value: ip },
      start_at: now,
      stop_at: now,
    },
  ]);
}

/** Ingestion: single-decision alerts as agents send them, a new IP each, on 1 connection then on N. */
export async function ingestPhase(ctx: PhaseContext, server: ServerChild): Promise<Row[]> {
  const { seconds: SECONDS, connections: CONNS } = ctx;
  const base = server.url;
  const token = await login(base);
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  let ingested = 0;
  const alertHeaders = { Authorization: `Bearer ${token}`, 'User-Agent': UA };
  const ingest = { host: '127.0.0.1', port: server.port, seconds: SECONDS, okStatus: 201, maxRequests: Math.ceil(SECONDS * 50_000) };
  const nextAlert = () => buildRequest('POST', '/v1/alerts', alertHeaders, agentAlert(ip4(INGEST_BASE + ingested++), now));
  log(`ingestion: 1 connection for ${SECONDS} s…`);
  const ing1 = await withCpu(server.pid, () => runLoad({ ...ingest, connections: 1, request: nextAlert }));
  log(`  ${fmt(ing1.rps)} alerts/s, p50 ${ing1.p50ms.toFixed(2)} ms, p99 ${ing1.p99ms.toFixed(2)} ms, statuses ${statusText(ing1)}`);
  log(`ingestion: ${CONNS} connections for ${SECONDS} s…`);
  const ingN = await ctx.profiled(`ingest-${CONNS}`, () =>
    withCpu(server.pid, () => runLoad({ ...ingest, connections: CONNS, request: nextAlert })),
  );
  log(`  ${fmt(ingN.rps)} alerts/s, p50 ${ingN.p50ms.toFixed(2)} ms, p99 ${ingN.p99ms.toFixed(2)} ms, statuses ${statusText(ingN)}`);
  const lastIngested = ip4(INGEST_BASE + ingested - 1);
  const ingestVisible = ingN.badStatus + ingN.failures > 0 || holdsBan(await query(base, lastIngested), lastIngested);
  const memEnd = memory(server.pid);
  const sqlite = ctx.db.type === 'sqlite';
  const manyTarget = sqlite ? 3000 : 1500;
  return [
    {
      measure: 'ingestion, 1 connection',
      value: `${fmt(ing1.rps)} alerts/s`,
      target: sqlite ? '>= 1,000 alerts/s' : '',
      ok: sqlite ? ing1.rps >= 1000 : undefined,
    },
    { measure: 'ingestion, 1 connection: p50 / p99', value: `${ing1.p50ms.toFixed(2)} / ${ing1.p99ms.toFixed(2)} ms`, target: '' },
    { measure: 'ingestion, 1 connection: CPU server / bench', value: cores(ing1), target: '' },
    {
      measure: 'ingestion, 1 connection: errors',
      value: `${ing1.badStatus + ing1.failures} of ${fmt(ing1.requests)}`,
      target: '0',
      ok: ing1.badStatus + ing1.failures === 0,
    },
    {
      measure: `ingestion, ${CONNS} connections`,
      value: `${fmt(ingN.rps)} alerts/s`,
      // issue 13's targets are for 50 connections
      target: CONNS === 50 ? `>= ${fmt(manyTarget)} alerts/s` : '',
      ok: CONNS === 50 ? ingN.rps >= manyTarget : undefined,
    },
    { measure: `ingestion, ${CONNS} connections: p50 / p99`, value: `${ingN.p50ms.toFixed(2)} / ${ingN.p99ms.toFixed(2)} ms`, target: '' },
    { measure: `ingestion, ${CONNS} connections: CPU server / bench`, value: cores(ingN), target: '' },
    {
      measure: `ingestion, ${CONNS} connections: errors`,
      value: `${ingN.badStatus + ingN.failures} of ${fmt(ingN.requests)}`,
      target: '0',
      ok: ingN.badStatus + ingN.failures === 0,
    },
    { measure: 'ingested decision answers a query', value: ingestVisible ? 'yes' : 'NO', target: 'yes', ok: ingestVisible },
    {
      measure: 'RSS at the end, restarted server (peak)',
      value: `${memEnd.rss.toFixed(0)} MiB (${memEnd.hwm.toFixed(0)} MiB)`,
      target: '',
    },
  ];
}
