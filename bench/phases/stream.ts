import { mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { hashApiKey } from '../../src/auth/api-key.js';
import { addSubscribers } from '../../src/store/allowlist-subscribers.js';
import { createBouncer } from '../../src/store/bouncers.js';
import { usingDb } from '../../src/store/db.js';
import { checkPull, fetchStartup, holdsBan, http, loadedIp, query, STREAM_KEY, STREAM_KEY_2, UA } from '../api.js';
import { heap, memory, peakMemory, perfStats, type ServerChild, startChild, stopChild, watched } from '../child.js';
import { fmt, gcText, log, perfRows, pullRows, type Row } from '../report.js';
import type { AllowlistPhase } from './allowlist.js';
import { ALLOW_ITEMS } from './allowlist.js';
import type { PhaseContext } from './context.js';
import { addPullers, concurrentPulls } from './pulls.js';

/** The size of a file in MiB, 0 if there is none (the SQLite WAL once checkpointed and removed). */
function fileMiB(path: string): number {
  return (statSync(path, { throwIfNoEntry: false })?.size ?? 0) / 2 ** 20;
}

/**
 * Seconds from the server's spawn to its first right answer: a query for the last decision loaded, asked as
 * soon as the server says it listens, then every 5 ms until it holds the ban (a server that listens before
 * its decisions are loaded is not ready until it answers).
 */
async function firstAnswer(server: ServerChild, n: number): Promise<number> {
  const ip = loadedIp(n);
  for (;;) {
    const answer = await query(server.url, ip).catch(() => undefined);
    if (holdsBan(answer, ip)) return (performance.now() - server.spawnedAt) / 1000;
    if (performance.now() - server.spawnedAt > 300_000) throw new Error(`${ip} is not served 300 s after the restart`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface StreamOptions {
  /** The server's config file, to restart it on the same store. */
  cfgPath: string;
  nodeArgs: readonly string[];
  /** Where to write a heap snapshot of the restarted server after its pull, if anywhere. */
  heapDir: string | undefined;
}

/**
 * Stream mode: a startup pull by a bouncer that never pulled; the delta it gets once the allowlist covers it
 * too; then the same store served by a fresh process and pulled by another fresh bouncer. Returns the
 * restarted server, which the next phases use.
 */
export async function streamPhase(
  ctx: PhaseContext,
  first: ServerChild,
  list: AllowlistPhase,
  o: StreamOptions,
): Promise<{ rows: Row[]; server: ServerChild }> {
  const t = ctx.targets;
  const rssTarget = (rss: { rss: number; anon: number }, measure: string): Row => ({
    measure,
    value: `${rss.rss.toFixed(0)} MiB (anon ${rss.anon.toFixed(0)})`,
    target: t.rss === undefined ? '(set for 100k)' : `<= ${t.rss} MiB`,
    ok: t.rss === undefined ? undefined : rss.rss <= t.rss,
  });

  // a bouncer that never pulled
  log('stream startup pull…');
  const { out: firstPull, perf: pullPerf } = await ctx.profiled('stream-startup', () =>
    watched(first, () => fetchStartup(first.url, STREAM_KEY)),
  );
  const pull = checkPull(firstPull);
  const memStream = memory(first.pid);
  const heapStream = await heap(first);

  // the list now covers the stream bouncer too: its next delta must find the one decision its items hide
  await usingDb(ctx.db, (db) => addSubscribers(db, list.listId, 'remediation_component_integration', ['bench-stream']));
  await new Promise((r) => setTimeout(r, 1500)); // the server's poll
  const deltaAt = performance.now();
  const deltaRes = await http(`${first.url}/v1/decisions/stream`, { headers: { 'x-api-key': STREAM_KEY, 'user-agent': UA } });
  const deltaBody = JSON.parse(await deltaRes.text()) as { new: unknown[] | null; deleted: { value: string }[] | null };
  const deltaSeconds = (performance.now() - deltaAt) / 1000;
  const deltaOk = deltaBody.new === null && deltaBody.deleted?.length === 1 && deltaBody.deleted[0]!.value === list.hiddenIp;
  log(
    `  stream delta after the list covered the stream bouncer: ${(deltaSeconds * 1000).toFixed(1)} ms, ${deltaOk ? 'as expected' : 'WRONG'}`,
  );

  // the same store served by a fresh process: memory without what loading through the API left behind
  log('restarting the server on the same store, and pulling again with another fresh bouncer…');
  await stopChild();
  await usingDb(ctx.db, async (db) => {
    await createBouncer(db, { name: 'bench-stream-2', keyHash: hashApiKey(STREAM_KEY_2) });
    await addPullers(db);
  });
  // the store as the restarted server finds it (SQLite: is there a WAL left to replay?)
  const store = ctx.db.type === 'sqlite' ? { dbMiB: fileMiB(ctx.db.db_path), walMiB: fileMiB(`${ctx.db.db_path}-wal`) } : undefined;
  const server = await startChild(o.cfgPath, o.nodeArgs);
  const readySeconds = await firstAnswer(server, ctx.n);
  const listeningSeconds = (server.listeningAt - server.spawnedAt) / 1000;
  const { bootMs, startMs, cpuMs } = server.boot;
  const startPerf = await perfStats(server, 'perf-start');
  const memRestart = memory(server.pid);
  const {
    out: { out: restartedPull, peak: peakRestartPull },
    perf: pull2Perf,
  } = await watched(server, () => peakMemory(server.pid, () => fetchStartup(server.url, STREAM_KEY_2)));
  const pull2 = checkPull(restartedPull);
  const memRestartPull = memory(server.pid);
  const heapRestartPull = await heap(server);
  log(
    `  ready (spawn to first answer) in ${readySeconds.toFixed(2)} s (CPU ${(cpuMs / 1000).toFixed(2)} s until listening): node and imports ${(bootMs / 1000).toFixed(2)} s, ` +
      `startServer ${(startMs / 1000).toFixed(2)} s (event loop held up to ${startPerf.loop.maxMs.toFixed(0)} ms, GC longest ` +
      `${startPerf.gc.maxMs.toFixed(0)} ms)${store ? `, store ${store.dbMiB.toFixed(1)} MiB + WAL ${store.walMiB.toFixed(1)} MiB` : ''}; ` +
      `RSS ${memRestart.rss.toFixed(0)} MiB; after the pull ${memRestartPull.rss.toFixed(0)} MiB (peak ${peakRestartPull.toFixed(0)})`,
  );
  ctx.figures.restart = { readySeconds, listeningSeconds, bootMs, startMs, cpuMs, startPerf, store, rssMiB: memRestart.rss };
  ctx.figures.startupPulls = {
    first: { ...pull, perf: pullPerf, rssAfterMiB: memStream.rss, heapUsedAfterMiB: heapStream.used },
    restarted: {
      ...pull2,
      perf: pull2Perf,
      rssPeakMiB: peakRestartPull,
      rssAfterMiB: memRestartPull.rss,
      heapUsedAfterMiB: heapRestartPull.used,
    },
  };
  if (o.heapDir) {
    mkdirSync(o.heapDir, { recursive: true });
    const file = resolve(o.heapDir, 'restarted-after-pull.heapsnapshot');
    await server.command(`heap-snapshot ${file}`, 300_000);
    log(`  heap snapshot: ${file}`);
  }

  const rows: Row[] = [
    ...pullRows('stream startup', pull, ctx.n, t),
    ...perfRows('stream startup', pullPerf, undefined, t.pullLoop),
    {
      measure: `stream delta, ${fmt(ALLOW_ITEMS)} items newly covering the bouncer`,
      value: `${(deltaSeconds * 1000).toFixed(1)} ms, ${deltaOk ? '1 in deleted' : 'WRONG'}`,
      target: 'the hidden ban in deleted',
      ok: deltaOk,
    },
    rssTarget(memStream, 'RSS after startup pull'),
    { measure: '  heap used / heap total', value: `${heapStream.used.toFixed(0)} / ${heapStream.total.toFixed(0)} MiB`, target: '' },
    {
      measure: 'restarted on the same store: ready (spawn to first answer)',
      value: `${readySeconds.toFixed(2)} s (CPU ${(cpuMs / 1000).toFixed(2)} s), RSS ${memRestart.rss.toFixed(0)} MiB`,
      target: t.ready === undefined ? '' : `<= ${t.ready} s`,
      ok: t.ready === undefined ? undefined : readySeconds <= t.ready,
    },
    {
      measure: '  node and imports / config and startServer / the rest',
      value: `${(bootMs / 1000).toFixed(2)} / ${(startMs / 1000).toFixed(2)} / ${(readySeconds - (bootMs + startMs) / 1000).toFixed(2)} s`,
      target: '',
    },
    {
      measure: '  startServer: event-loop max; GC longest',
      value: `${startPerf.loop.maxMs.toFixed(0)} ms; ${gcText(startPerf)}`,
      target: '',
    },
    ...(store
      ? [{ measure: '  store at restart: database / WAL', value: `${store.dbMiB.toFixed(1)} / ${store.walMiB.toFixed(1)} MiB`, target: '' }]
      : []),
    ...pullRows('  then stream startup', pull2, ctx.n, t),
    ...perfRows('  then stream startup', pull2Perf, undefined, t.pullLoop),
    rssTarget(memRestartPull, '  then RSS after startup pull'),
    { measure: '  then RSS peak during the pull', value: `${peakRestartPull.toFixed(0)} MiB`, target: '' },
    {
      measure: '  heap used / heap total',
      value: `${heapRestartPull.used.toFixed(0)} / ${heapRestartPull.total.toFixed(0)} MiB`,
      target: '',
    },
    ...(await concurrentPulls(ctx, server)),
  ];
  return { rows, server };
}
