import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runMain } from '../cli/helpers.js';
import { makeList, type AdminCall } from '../helpers/admin.js';
import type { TestDialect } from '../helpers/dialect.js';
import { Admin, Agent, Bouncer, Traffic } from './harness/client.js';
import { freePort, provision, serverEnv } from './harness/env.js';
import { growthPerItem, mib, ProcessSampler, tail, type Tail } from './harness/sampler.js';
import { LapisProcess } from './harness/server.js';
import { emptyFigures, runSoakLoad } from './harness/soak-load.js';
import { diffViews, StreamView } from './harness/stream-view.js';

/**
 * Soak: a real `lapis serve` under agents, live and stream bouncers and allowlist churn, sampled every second.
 * Memory and descriptors must level off, and every stream bouncer's view, rebuilt from deltas, must equal a fresh
 * startup pull by the same bouncer. LAPIS_SOAK_SECONDS sets the length (CI: 35; `npm run soak`: 600),
 * LAPIS_SOAK_ENGINE the database (default sqlite).
 */
const SECONDS = Number(process.env.LAPIS_SOAK_SECONDS ?? 35);
const ENGINE = (process.env.LAPIS_SOAK_ENGINE ?? 'sqlite') as TestDialect;
/** The flat-tail rule: the last third may not exceed the first two thirds' peak by more than this. */
const RSS_SLACK = 10 * 1048576;
const FD_SLACK = 5;

const series = (name: string, x: Tail | null, fmt: (n: number) => string) =>
  x
    ? `${name}: first ${fmt(x.first)}, peak of first two thirds ${fmt(x.earlyPeak)}, last third ${fmt(x.lateMin)}..${fmt(x.lateMax)} (slope ${fmt(x.lateSlopePerMin)}/min), last ${fmt(x.last)}`
    : `${name}: no samples`;

test(`soak for ${SECONDS} s on ${ENGINE}: flat memory and descriptors, stream views equal to a fresh startup`, {
  timeout: (SECONDS + 180) * 1000,
}, async (t) => {
  const metricsPort = await freePort();
  const env = serverEnv(t, ENGINE, { prometheus: { enabled: true, listen_addr: '127.0.0.1', listen_port: metricsPort } });
  // the admin key as an operator makes one: `lapis apikeys add NAME -o raw`
  const keyRun = await runMain(['apikeys', 'add', 'soak', '-o', 'raw', '-c', env.configPath], { timeoutMs: 30_000 });
  assert.equal(keyRun.code, 0, keyRun.stderr);
  const ids = await provision(env.config, {
    machines: ['soak-agent-1', 'soak-agent-2', 'soak-agent-3'],
    bouncers: ['stream-1', 'stream-2', 'stream-3', 'live-1', 'live-2'],
  });
  const traffic = new Traffic();
  const agents = [...ids.machines].map(([m, pw]) => new Agent(m, pw));
  const bouncer = (name: string) => new Bouncer(name, ids.bouncers.get(name)!);
  const live = [bouncer('live-1'), bouncer('live-2')];
  const streams = ['stream-1', 'stream-2', 'stream-3'].map((n) => new StreamView(bouncer(n), traffic));
  const admin = new Admin(keyRun.stdout.trim());

  const server = await LapisProcess.start(t, env.configPath, { memoryProbe: true });
  for (const c of [...agents, ...live, ...streams.map((s) => s.bouncer)]) c.base = server.url;
  admin.base = server.adminUrl!;
  const call: AdminCall = async (method, url, payload) => {
    const r = await admin.call(method, url, payload);
    return { status: r.status, body: r.text, json: () => JSON.parse(r.text) as Record<string, unknown> };
  };
  // stream-1 and live-1 see less than the others; stream-2 comes and goes; stream-3 sees everything but what org items end
  const bouncerList = await makeList(call, 'soak-bouncers', [{ type: 'remediation_component_integration', ids: ['stream-1', 'live-1'] }]);
  const orgList = await makeList(call, 'soak-org', [{ type: 'org', ids: [] }]);

  const fig = emptyFigures();
  const sampler = new ProcessSampler(server, () => fig.decisionsCreated);
  sampler.start();
  await runSoakLoad(
    { agents, live, streams, admin, bouncerList, orgList, toggled: 'stream-2', metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` },
    traffic,
    SECONDS,
    fig,
  );
  sampler.stop();
  assert.ok(server.running, `the server died:\n${server.output()}`);

  // every view against a startup pull by the same identity, right after one last delta
  const views: string[] = [];
  const divergences: string[] = [];
  for (const s of streams) {
    const from = Date.now();
    await s.pull();
    const snap = await s.snapshot();
    const d = diffViews(s.view, snap.view, from, snap.at);
    views.push(
      `${s.bouncer.name}: ${s.view.size} keys after ${s.pulls} pulls (${s.received.new} new, ${s.received.deleted} deleted received), ${d.endingMeanwhile} ending meanwhile`,
    );
    for (const [what, list] of [
      ['missing', d.missing],
      ['extra', d.extra],
      ['other decision', d.otherDecision],
    ] as const) {
      if (list.length > 0) divergences.push(`${s.bouncer.name}: ${list.length} ${what}: ${list.slice(0, 5).join(', ')}`);
    }
  }

  const samples = sampler.samples;
  const rss = tail(samples, (x) => x.rss);
  const fds = tail(samples, (x) => x.fds);
  const heap = tail(samples, (x) => x.heapUsed);
  const liveHeap = tail(samples, (x) => x.liveHeap);
  const perDecision = growthPerItem(samples);
  const kinds = [...traffic.requests].map(([k, n]) => `${k} ${n}`).join(', ');
  const errors = [...traffic.errors].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none';
  const summary = [
    `soak ${SECONDS} s on ${ENGINE}: ${samples.length} samples, ${traffic.requestCount} requests (${Math.round(traffic.requestCount / SECONDS)}/s), ${traffic.errorCount} errors`,
    series('RSS', rss, mib),
    series('heap used', heap, mib),
    series('live heap (after a full GC, every 10 s)', liveHeap, mib),
    series('open fds', fds, (n) => n.toFixed(n % 1 === 0 ? 0 : 1)),
    `decisions: ${fig.decisionsCreated} created, active max ${fig.activeDecisionsMax}, last ${fig.activeDecisionsLast}; allowlist changes ${fig.allowlistChanges}`,
    perDecision
      ? `live heap growth ${mib(perDecision.bytes)} over ${perDecision.items} decisions created: ${Math.round(perDecision.perItem)} B each (ended decisions stay in memory 24 h, the stream grace period)`
      : 'live heap growth per decision: not measured',
    `nodejs_heap_size_used_bytes on /metrics: ${fig.heapMetric === undefined ? 'not exported' : mib(fig.heapMetric)}`,
    `requests: ${kinds}`,
    `errors: ${errors}`,
    ...traffic.samples.map((s) => `  ${s}`),
    ...views,
  ];
  for (const line of summary) t.diagnostic(line);

  assert.deepEqual(divergences, [], 'stream views diverged from a fresh startup');
  assert.equal(traffic.errorCount, 0, `errors: ${errors}\n${traffic.samples.join('\n')}`);
  assert.ok(samples.length >= SECONDS * 0.8, `only ${samples.length} samples in ${SECONDS} s`);
  assert.ok(rss && rss.lateMax <= rss.earlyPeak + RSS_SLACK, `RSS grows: ${series('RSS', rss, mib)}`);
  assert.ok(fds && fds.lateMax <= fds.earlyPeak + FD_SLACK, `descriptors grow: ${series('fds', fds, String)}`);
  const exit = await server.stop();
  assert.equal(exit.code, 0, `graceful stop: ${JSON.stringify(exit)}\n${server.output().slice(-2000)}`);
});
