import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { hashApiKey } from '../../src/auth/api-key.js';
import { addSubscribers } from '../../src/store/allowlist-subscribers.js';
import { createBouncer } from '../../src/store/bouncers.js';
import { usingDb } from '../../src/store/db.js';
import { checkPull, fetchStartup, http, STREAM_KEY, STREAM_KEY_2, UA } from '../api.js';
import { heap, memory, type ServerChild, startChild, stopChild } from '../child.js';
import { fmt, log, pullRows, type Row } from '../report.js';
import type { AllowlistPhase } from './allowlist.js';
import { ALLOW_ITEMS } from './allowlist.js';
import type { PhaseContext } from './context.js';

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
  const pull = checkPull(await ctx.profiled('stream-startup', () => fetchStartup(first.url, STREAM_KEY)));
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
  await usingDb(ctx.db, (db) => createBouncer(db, { name: 'bench-stream-2', keyHash: hashApiKey(STREAM_KEY_2) }));
  const restartAt = performance.now();
  const server = await startChild(o.cfgPath, o.nodeArgs);
  const restartSeconds = (performance.now() - restartAt) / 1000;
  const memRestart = memory(server.pid);
  const pull2 = checkPull(await fetchStartup(server.url, STREAM_KEY_2));
  const memRestartPull = memory(server.pid);
  const heapRestartPull = await heap(server);
  log(
    `  ready in ${restartSeconds.toFixed(1)} s, RSS ${memRestart.rss.toFixed(0)} MiB; after the pull ${memRestartPull.rss.toFixed(0)} MiB`,
  );
  if (o.heapDir) {
    mkdirSync(o.heapDir, { recursive: true });
    const file = resolve(o.heapDir, 'restarted-after-pull.heapsnapshot');
    await server.command(`heap-snapshot ${file}`, 300_000);
    log(`  heap snapshot: ${file}`);
  }

  const rows: Row[] = [
    ...pullRows('stream startup', pull, ctx.n, t),
    {
      measure: `stream delta, ${fmt(ALLOW_ITEMS)} items newly covering the bouncer`,
      value: `${(deltaSeconds * 1000).toFixed(1)} ms, ${deltaOk ? '1 in deleted' : 'WRONG'}`,
      target: 'the hidden ban in deleted',
      ok: deltaOk,
    },
    rssTarget(memStream, 'RSS after startup pull'),
    { measure: '  heap used / heap total', value: `${heapStream.used.toFixed(0)} / ${heapStream.total.toFixed(0)} MiB`, target: '' },
    {
      measure: 'restarted on the same store: ready',
      value: `${restartSeconds.toFixed(1)} s, RSS ${memRestart.rss.toFixed(0)} MiB`,
      target: '',
    },
    ...pullRows('  then stream startup', pull2, ctx.n, t),
    rssTarget(memRestartPull, '  then RSS after startup pull'),
    {
      measure: '  heap used / heap total',
      value: `${heapRestartPull.used.toFixed(0)} / ${heapRestartPull.total.toFixed(0)} MiB`,
      target: '',
    },
  ];
  return { rows, server };
}
