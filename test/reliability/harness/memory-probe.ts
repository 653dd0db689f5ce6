/**
 * Preloaded into a `lapis serve` child (`node --import …/memory-probe.js`) by the soak: answers
 * `{probe: 'memory', id}` on the IPC channel with `process.memoryUsage()`. Lapis exports no Node runtime
 * metrics on its Prometheus listener (src/metrics/lapi.ts registers only CrowdSec's), and /proc shows RSS
 * but not the V8 heap, which is what tells a leak of JS objects from allocator slack.
 */
process.on('message', (m: unknown) => {
  const q = m as { probe?: string; id?: number } | null;
  if (q?.probe === 'memory') process.send?.({ probe: 'memory', id: q.id, usage: process.memoryUsage() });
});
// the channel must not be what keeps the server alive, nor stop it from exiting on SIGTERM
process.channel?.unref();
