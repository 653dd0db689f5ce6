/**
 * Preloaded into a `lapis serve` child (`node --expose-gc --import …/memory-probe.js`) by the soak: answers
 * `{probe: 'memory', id, gc}` on the IPC channel with `process.memoryUsage()`, after a full collection when `gc`
 * is set (the live heap: what a leak grows, without the sawtooth of garbage awaiting collection). Lapis exports
 * no Node runtime metrics on its Prometheus listener (src/metrics/lapi.ts registers only CrowdSec's), and /proc
 * shows RSS but not the V8 heap.
 */
const collect = (globalThis as { gc?: () => void }).gc;
process.on('message', (m: unknown) => {
  const q = m as { probe?: string; id?: number; gc?: boolean } | null;
  if (q?.probe !== 'memory') return;
  if (q.gc) collect?.();
  process.send?.({ probe: 'memory', id: q.id, usage: process.memoryUsage() });
});
// the channel must not be what keeps the server alive, nor stop it from exiting on SIGTERM
process.channel?.unref();
