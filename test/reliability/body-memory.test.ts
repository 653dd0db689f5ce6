import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LapisProcess } from './harness/server.js';
import { serverEnv } from './harness/env.js';
import { mib, readRss } from './harness/sampler.js';

// Issue 11 §5: heavy bodies from many clients at once cost a bounded amount of memory, and what they
// cost is given back. LAPIS_BODY_MEMORY_REQUESTS (per client) makes the run longer.

const CLIENTS = 50;
const PER_CLIENT = Number(process.env.LAPIS_BODY_MEMORY_REQUESTS ?? 6);
const MiB = 1024 * 1024;
/** What the load may add to RSS at its peak: the 64 MiB body budget, its decoding, and the heap's slack. */
const PEAK_ALLOWANCE = 320 * MiB;

/** Bodies an unauthenticated client can send: under the login cap, over it, and a huge array. */
const BODIES = [
  `{"machine_id":"${'a'.repeat(1.9 * MiB)}","password":"x"}`,
  `[${'1,'.repeat(900_000)}1]`,
  `{"machine_id":"${'a'.repeat(3 * MiB)}","password":"x"}`,
];

test(`${CLIENTS} clients sending 2–3 MiB bodies at once: RSS bounded, every request answered, nothing of them kept live`, {
  timeout: 180_000,
}, async (t) => {
  const env = serverEnv(t, 'sqlite');
  const server = await LapisProcess.start(t, env.configPath, { memoryProbe: true });
  const base = readRss(server.pid);
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, readRss(server.pid))), 50);
  t.after(() => clearInterval(sampler));

  const statuses = new Map<string, number>();
  const count = (k: string) => statuses.set(k, (statuses.get(k) ?? 0) + 1);
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = 0; i < PER_CLIENT; i++) {
        try {
          const res = await fetch(`${server.url}/v1/watchers/login`, {
            method: 'POST',
            body: BODIES[(c + i) % BODIES.length],
            headers: { 'user-agent': 'fuzz/1' },
          });
          await res.arrayBuffer();
          count(String(res.status));
        } catch (err) {
          count(`error ${String((err as { cause?: { code?: string } }).cause?.code ?? err)}`);
        }
      }
    }),
  );
  clearInterval(sampler);
  const after = readRss(server.pid);
  const live = await server.memory(true);
  t.diagnostic(
    `statuses ${JSON.stringify(Object.fromEntries(statuses))}; RSS base ${mib(base)}, peak ${mib(peak)}, after ${mib(after)}; live heap after GC ${live ? mib(live.heapUsed) : '?'}`,
  );

  for (const k of statuses.keys()) assert.ok(['401', '413', '429', '503'].includes(k), `unexpected answer: ${k}`);
  assert.equal(
    [...statuses.values()].reduce((a, b) => a + b, 0),
    CLIENTS * PER_CLIENT,
  );
  assert.ok(peak - base < PEAK_ALLOWANCE, `RSS grew by ${mib(peak - base)} at its peak`);
  assert.ok(live && live.heapUsed < 64 * MiB, `live heap after the load: ${live ? mib(live.heapUsed) : 'no answer'}`);
  assert.equal((await fetch(`${server.url}/health`)).status, 200);
  assert.equal((await server.stop()).code, 0);
});
