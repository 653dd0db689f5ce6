import { holdsBan, http, loadedIp, login, query, UA } from '../api.js';
import { memory, type ServerChild } from '../child.js';
import { fmt, log, type Row } from '../report.js';
import type { PhaseContext } from './context.js';

/** Decisions per alert while loading: as `cscli decisions import` batches them. */
const IMPORT_BATCH = 1000;
/** Import requests in flight at once. */
const IMPORT_PARALLEL = 4;

/** An alert as `cscli decisions import` sends it: many decisions, no events. */
function importAlert(values: string[]): string {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const scenario = `import bench: ${values.length} IPs`;
  return JSON.stringify([
    {
      capacity: 0,
      created_at: now,
      decisions: values.map((value) => ({ duration: '4h', origin: 'cscli', scenario, scope: 'Ip', type: 'ban', value })),
      events: [],
      events_count: 0,
      leakspeed: '0',
      message: '',
      scenario,
      scenario_hash: '',
      scenario_version: '',
      simulated: false,
      source: { scope: 'cscli/import', value: '' },
      start_at: now,
      stop_at: now,
    },
  ]);
}

async function loadDecisions(base: string, token: string, n: number): Promise<number> {
  const started = performance.now();
  const batches = Math.ceil(n / IMPORT_BATCH);
  let nextBatch = 0;
  let loaded = 0;
  let reported = 0;
  const loader = async () => {
    // bounded by the number of batches
    while (nextBatch < batches) {
      const b = nextBatch++;
      const from = b * IMPORT_BATCH + 1;
      const to = Math.min(n, from + IMPORT_BATCH - 1);
      const values = Array.from({ length: to - from + 1 }, (_, i) => loadedIp(from + i));
      const res = await http(`${base}/v1/alerts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'user-agent': UA, 'content-type': 'application/json' },
        body: importAlert(values),
        timeoutMs: 120_000,
      });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`load: POST /v1/alerts ${res.status} ${text.slice(0, 300)}`);
      loaded += values.length;
      if (loaded - reported >= Math.max(IMPORT_BATCH, n / 10) || loaded === n) {
        reported = loaded;
        log(`  loaded ${loaded.toLocaleString('en')}/${n.toLocaleString('en')} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      }
    }
  };
  await Promise.all(Array.from({ length: IMPORT_PARALLEL }, loader));
  return (performance.now() - started) / 1000;
}

/** Logs in and loads N decisions through the API, as `cscli decisions import` would; checks the first and last. */
export async function importPhase(ctx: PhaseContext, server: ServerChild): Promise<Row[]> {
  const { n } = ctx;
  const base = server.url;
  const token = await login(base);
  log(`loading ${fmt(n)} decisions through POST /v1/alerts (${IMPORT_BATCH} per alert, ${IMPORT_PARALLEL} in flight)…`);
  const loadSeconds = await loadDecisions(base, token, n);
  const memLoaded = memory(server.pid);
  for (const k of [1, n]) {
    if (!holdsBan(await query(base, loadedIp(k)), loadedIp(k))) throw new Error(`after loading, ${loadedIp(k)} is not banned`);
  }
  return [
    { measure: 'load through the API', value: `${loadSeconds.toFixed(1)} s, ${fmt(n / loadSeconds)} decisions/s`, target: '' },
    { measure: 'RSS after loading', value: `${memLoaded.rss.toFixed(0)} MiB`, target: '' },
  ];
}
