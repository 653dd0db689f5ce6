import { request } from 'node:http';
import { hashApiKey } from '../../src/auth/api-key.js';
import { createBouncer } from '../../src/store/bouncers.js';
import type { Db } from '../../src/store/db.js';
import { UA } from '../api.js';
import { heap, memory, peakMemory, type ServerChild, watched } from '../child.js';
import { fmt, log, perfRows, type Row } from '../report.js';
import type { PhaseContext } from './context.js';

/** Bouncers pulling `startup=true` at once, and how many of them stop reading for a while after their first bytes. */
export const PULLERS = 10;
const PAUSED = 2;
const PAUSE_MS = 2000;

const pullerName = (i: number) => `bench-puller-${i}`;
const pullerKey = (i: number) => `bench-puller-${i}-key-0123456789abcdef`;

/** Registers the PULLERS bouncers in the store (done before the restart, so none is new to the server). */
export async function addPullers(db: Db): Promise<void> {
  for (let i = 0; i < PULLERS; i++) await createBouncer(db, { name: pullerName(i), keyHash: hashApiKey(pullerKey(i)) });
}

interface Pulled {
  seconds: number;
  bytes: number;
  /** Objects in the body, the outer one aside: the decisions of `new` and `deleted`. */
  decisions: number;
}

/**
 * One `GET /v1/decisions/stream?startup=true` read to its last byte without keeping it: bytes and `{` are counted
 * (a decision is one flat object). With `pauseMs`, the reader stops reading that long after its first bytes,
 * so the server's socket fills and it has to wait for the reader (backpressure).
 */
function pullCounting(url: string, key: string, pauseMs: number): Promise<Pulled> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(`${url}/v1/decisions/stream?startup=true`, { agent: false, headers: { 'x-api-key': key, 'user-agent': UA } });
    req.setTimeout(600_000, () => req.destroy(new Error('no progress in 600 s')));
    req.on('error', reject);
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`stream startup as ${key.slice(0, 15)}: ${res.statusCode}`));
        return;
      }
      let bytes = 0;
      let braces = 0;
      let paused = pauseMs === 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let at = chunk.indexOf(0x7b); at >= 0; at = chunk.indexOf(0x7b, at + 1)) braces++;
        if (!paused) {
          paused = true;
          res.pause();
          setTimeout(() => res.resume(), pauseMs);
        }
      });
      res.on('error', reject);
      res.on('end', () => resolve({ seconds: (performance.now() - t0) / 1000, bytes, decisions: braces - 1 }));
    });
    req.end();
  });
}

/**
 * PULLERS bouncers pull `startup=true` at the same moment from a server that has served one such pull already
 * (issue 13: ten at once must not multiply memory, nor hold the event loop). PAUSED of them stop reading for
 * PAUSE_MS after their first bytes. Measures the server's RSS before, at its peak during (VmHWM, reset first
 * where the kernel allows, and /proc sampled every 20 ms) and after, its heap after, its GC pauses and
 * event-loop delay meanwhile, and the time until every reader has the whole body.
 */
export async function concurrentPulls(ctx: PhaseContext, server: ServerChild): Promise<Row[]> {
  const t = ctx.targets;
  log(`${PULLERS} concurrent startup pulls (${PAUSED} of the readers paused ${PAUSE_MS / 1000} s after their first bytes)…`);
  const before = memory(server.pid);
  const { out: measured, perf } = await watched(server, () =>
    peakMemory(server.pid, async () => {
      const t0 = performance.now();
      const pulls = await Promise.all(
        Array.from({ length: PULLERS }, (_, i) => pullCounting(server.url, pullerKey(i), i < PAUSED ? PAUSE_MS : 0)),
      );
      return { pulls, seconds: (performance.now() - t0) / 1000 };
    }),
  );
  const {
    out: { pulls, seconds },
    peak,
  } = measured;
  const after = memory(server.pid);
  const heapAfter = await heap(server);
  const wrong = pulls.filter((p) => p.decisions !== ctx.n);
  const unpaused = pulls.slice(PAUSED).map((p) => p.seconds);
  const bytes = pulls.reduce((s, p) => s + p.bytes, 0);
  log(
    `  all ${PULLERS} in ${seconds.toFixed(2)} s (unpaused ${Math.min(...unpaused).toFixed(2)}–${Math.max(...unpaused).toFixed(2)} s), ` +
      `${fmt(bytes / 2 ** 20)} MiB in all; RSS ${before.rss.toFixed(0)} → peak ${peak.toFixed(0)} → ${after.rss.toFixed(0)} MiB, ` +
      `event loop max ${perf.loop.maxMs.toFixed(1)} ms, GC longest ${perf.gc.maxMs.toFixed(1)} ms`,
  );
  ctx.figures.concurrentPulls = {
    pullers: PULLERS,
    paused: PAUSED,
    pauseMs: PAUSE_MS,
    seconds,
    pulls,
    rssBeforeMiB: before.rss,
    rssPeakMiB: peak,
    rssAfterMiB: after.rss,
    heapUsedAfterMiB: heapAfter.used,
    heapTotalAfterMiB: heapAfter.total,
    perf,
  };
  const name = `${PULLERS} concurrent startup pulls`;
  return [
    {
      measure: `${name}: all done in`,
      value: `${seconds.toFixed(2)} s (unpaused ${Math.max(...unpaused).toFixed(2)} s)`,
      target: `${PAUSED} readers paused ${PAUSE_MS / 1000} s`,
    },
    {
      measure: `${name}: decisions in each`,
      value: wrong.length === 0 ? `${fmt(ctx.n)} × ${PULLERS}` : `WRONG: ${wrong.map((p) => fmt(p.decisions)).join(', ')}`,
      target: `${fmt(ctx.n)} × ${PULLERS}`,
      ok: wrong.length === 0,
    },
    {
      measure: `${name}: RSS before / peak / after`,
      value: `${before.rss.toFixed(0)} / ${peak.toFixed(0)} / ${after.rss.toFixed(0)} MiB`,
      target: t.rss === undefined ? '' : `peak <= ${t.rss} MiB`,
      ok: t.rss === undefined ? undefined : peak <= t.rss,
    },
    { measure: `${name}: heap used / total after`, value: `${heapAfter.used.toFixed(0)} / ${heapAfter.total.toFixed(0)} MiB`, target: '' },
    ...perfRows(name, perf, undefined, t.pullLoop),
  ];
}
