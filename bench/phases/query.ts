import { holdsBan, loadedIp, QUERY_KEY, query, UA } from '../api.js';
import { type Measured, memory, type PerfStats, type ServerChild, watched, withCpu } from '../child.js';
import { buildRequest, type LoadOptions, runLoad } from '../load.js';
import { fmt, gcText, log, perfRows, queryRows, type Row, statusText } from '../report.js';
import type { PhaseContext } from './context.js';

/** A query phase's figures for the JSON report: the load's, then the server's GC pauses and event-loop delay. */
export function queryFigures(r: Measured, perf: PerfStats) {
  const { sample: _, statuses, ...load } = r;
  return { ...load, statuses: Object.fromEntries(statuses), perf };
}

/** The progress line of a query phase's GC pauses and event-loop delay. */
export const perfLog = (p: PerfStats) =>
  log(`  GC longest ${gcText(p)}; event loop delay max ${p.loop.maxMs.toFixed(1)} ms, p99 ${p.loop.p99Ms.toFixed(1)} ms`);

export interface QueryPhase {
  rows: Row[];
  /** The banned IPs queried, and their requests (the allowlist phase queries them again). */
  bannedIps: string[];
  bannedReqs: Buffer[];
  /** The load settings of a query phase, but the request. */
  load: Omit<LoadOptions, 'request'>;
  /** Whether the sampled answers (banned: an array with the IP; clean: null) were right. */
  samplesOk: boolean;
  /** The server's RSS after the query phases, in MiB. */
  rssAfter: number;
  /** Throughput of the two phases, req/s (the baseline phase reports them as a ratio to a hello-world server). */
  bannedRps: number;
  cleanRps: number;
}

/** Query mode: a warm-up, then banned IPs and clean IPs, each for the phase's length. */
export async function queryPhase(ctx: PhaseContext, server: ServerChild): Promise<QueryPhase> {
  const { n, seconds, connections } = ctx;
  const base = server.url;
  const bannedIps = Array.from({ length: Math.min(1000, n) }, (_, i) => loadedIp(1 + ((i * 7919) % n)));
  const cleanIps = Array.from({ length: 508 }, (_, i) => (i < 254 ? `192.0.2.${i + 1}` : `198.51.100.${i - 253}`));
  const keyHeaders = { 'X-Api-Key': QUERY_KEY, 'User-Agent': UA };
  const bannedReqs = bannedIps.map((ip) => buildRequest('GET', `/v1/decisions?ip=${ip}`, keyHeaders));
  const cleanReqs = cleanIps.map((ip) => buildRequest('GET', `/v1/decisions?ip=${ip}`, keyHeaders));
  for (const ip of bannedIps.slice(0, 3)) if (!holdsBan(await query(base, ip), ip)) throw new Error(`query check: ${ip} should be banned`);
  for (const ip of cleanIps.slice(0, 3)) if ((await query(base, ip)) !== null) throw new Error(`query check: ${ip} should get null`);
  const queryCap = Math.ceil(seconds * 200_000);
  const phase = { host: '127.0.0.1', port: server.port, connections, seconds, okStatus: 200, maxRequests: queryCap };
  // a short unrecorded warm-up, so the measured phases do not include the JIT compiling the request path
  const warmup = Math.min(2, seconds / 5);
  log(`warm-up: ${warmup} s of queries…`);
  await runLoad({
    ...phase,
    seconds: warmup,
    request: (i) => (i % 2 ? bannedReqs[(i >> 1) % bannedReqs.length]! : cleanReqs[(i >> 1) % cleanReqs.length]!),
  });
  log(`query mode, banned IPs: ${connections} connections for ${seconds} s…`);
  const { out: qBanned, perf: bannedPerf } = await ctx.profiled('query-banned', () =>
    watched(server, () => withCpu(server.pid, () => runLoad({ ...phase, request: (i) => bannedReqs[i % bannedReqs.length]! }))),
  );
  log(
    `  ${fmt(qBanned.rps)} req/s, p50 ${qBanned.p50ms.toFixed(2)} ms, p99 ${qBanned.p99ms.toFixed(2)} ms, statuses ${statusText(qBanned)}`,
  );
  perfLog(bannedPerf);
  log(`query mode, clean IPs: ${connections} connections for ${seconds} s…`);
  const { out: qClean, perf: cleanPerf } = await watched(server, () =>
    withCpu(server.pid, () => runLoad({ ...phase, request: (i) => cleanReqs[i % cleanReqs.length]! })),
  );
  log(`  ${fmt(qClean.rps)} req/s, p50 ${qClean.p50ms.toFixed(2)} ms, p99 ${qClean.p99ms.toFixed(2)} ms, statuses ${statusText(qClean)}`);
  perfLog(cleanPerf);
  ctx.figures.queryBanned = queryFigures(qBanned, bannedPerf);
  ctx.figures.queryClean = queryFigures(qClean, cleanPerf);
  const bannedSample = qBanned.sample;
  const bannedSampleOk = !!bannedSample && holdsBan(JSON.parse(bannedSample.body), bannedIps[bannedSample.request % bannedIps.length]!);
  const cleanSampleOk = qClean.sample?.body === 'null';
  if (!bannedSampleOk) log(`  banned sample answer is wrong: ${bannedSample?.body.slice(0, 200)}`);
  if (!cleanSampleOk) log(`  clean sample answer is wrong: ${qClean.sample?.body.slice(0, 200)}`);
  const memQuery = memory(server.pid);
  return {
    rows: [
      ...queryRows('banned IP', qBanned, ctx.targets.p99),
      ...perfRows('query banned IP', bannedPerf, ctx.targets.gcPause),
      ...queryRows('clean IP', qClean, ctx.targets.p99),
      ...perfRows('query clean IP', cleanPerf, ctx.targets.gcPause),
    ],
    bannedIps,
    bannedReqs,
    load: phase,
    samplesOk: bannedSampleOk && cleanSampleOk,
    rssAfter: memQuery.rss,
    bannedRps: qBanned.rps,
    cleanRps: qClean.rps,
  };
}
