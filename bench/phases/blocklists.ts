import { request } from 'node:http';
import { hashApiKey } from '../../src/auth/api-key.js';
import { MAX_IPS_PER_REQUEST } from '../../src/domain/blocklist.js';
import { ipv4Range } from '../../src/domain/ip-range.js';
import { createBouncer } from '../../src/store/bouncers.js';
import { usingDb } from '../../src/store/db.js';
import { organizationId } from '../../src/store/instance.js';
import { addBlocklistItems, createBlocklist, subscribeBlocklist } from '../../src/usecases/blocklists.js';
import { createIntegration } from '../../src/usecases/integrations.js';
import { fetchStartup, ip4, UA } from '../api.js';
import { memory, peakMemory, type ServerChild } from '../child.js';
import { buildRequest, runLoad } from '../load.js';
import { fmt, log, type Row, statusText } from '../report.js';
import type { PhaseContext } from './context.js';

/** The list's addresses: 100.64.0.0/10 (shared address space), apart from every other phase's. */
const LIST_BASE = ((100 << 24) | (64 << 16)) >>> 0;
const LISTS_KEY = 'bench-lists-key-0123456789abcdef';

interface Fetched {
  status: number;
  seconds: number;
  bytes: number;
  etag: string;
}

/** One GET read to its last byte and counted, not kept. */
function fetchCounting(url: string, headers: Record<string, string>): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(url, { agent: false, headers: { 'user-agent': UA, ...headers } });
    req.setTimeout(600_000, () => req.destroy(new Error('no progress in 600 s')));
    req.on('error', reject);
    req.on('response', (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, seconds: (performance.now() - t0) / 1000, bytes, etag: String(res.headers.etag ?? '') }),
      );
    });
    req.end();
  });
}

/**
 * Issue 14's figures: a blocklist of as many entries as the run has decisions, read by a firewall integration
 * (`/content`: the full body, its peak RSS, gzipped, and the 304 of a device polling with its ETag), then served
 * to a bouncer as decisions (the subscription's write, and the bouncer's startup pull).
 */
export async function blocklistPhase(ctx: PhaseContext, server: ServerChild): Promise<Row[]> {
  const n = ctx.n;
  const base = server.url;
  log(`blocklists: a list of ${fmt(n)} entries, written ${fmt(MAX_IPS_PER_REQUEST)} a transaction as the CLI's import…`);
  const t0 = performance.now();
  const made = await usingDb(ctx.db, async (db) => {
    const w = { db };
    const list = await createBlocklist(w, { name: 'bench', label: 'bench', description: 'bench', references: [], tags: [], feed: null });
    for (let i = 0; i < n; i += MAX_IPS_PER_REQUEST) {
      const part = Array.from({ length: Math.min(MAX_IPS_PER_REQUEST, n - i) }, (_, k) => ipv4Range(LIST_BASE + i + k));
      await addBlocklistItems(w, list.id, part, null);
    }
    const { integration, credentials } = await createIntegration(w, {
      name: 'bench-firewall',
      description: '',
      entityType: 'firewall_integration',
      outputFormat: 'plain_text',
      pullLimit: null,
      enableIpAggregation: false,
      tags: [],
    });
    const org = await organizationId(db);
    await subscribeBlocklist(w, list.id, 'firewall_integration', [integration.id], null, org);
    if (!('password' in credentials)) throw new Error('a firewall integration without a password');
    return {
      listId: list.id,
      id: integration.id,
      auth: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
      org,
    };
  });
  const importSeconds = (performance.now() - t0) / 1000;
  log(`  ${importSeconds.toFixed(1)} s (${fmt(n / importSeconds)} entries/s)`);

  const url = `${base}/v1/integrations/${made.id}/content`;
  // the server hears of the subscription by its poll or the store's change signal
  const waitStart = performance.now();
  for (;;) {
    const r = await fetch(url, { method: 'HEAD', headers: { authorization: made.auth } });
    if (r.status === 200) break;
    if (performance.now() - waitStart > 10_000) throw new Error(`/content still answers ${r.status} 10 s after the subscription`);
    await new Promise((res) => setTimeout(res, 50));
  }

  log(`  /content, full body of ${fmt(n)} entries…`);
  const rssBefore = memory(server.pid).rss;
  const { out: full, peak } = await peakMemory(server.pid, () => fetchCounting(url, { authorization: made.auth }));
  log(`  ${full.seconds.toFixed(3)} s, ${fmt(full.bytes)} bytes, server RSS ${rssBefore.toFixed(0)} → peak ${peak.toFixed(0)} MiB`);
  const gz = await fetchCounting(url, { authorization: made.auth, 'accept-encoding': 'gzip' });
  log(`  gzipped: ${gz.seconds.toFixed(3)} s, ${fmt(gz.bytes)} bytes`);

  log(`  /content with If-None-Match (a device polling): ${ctx.connections} connections for ${ctx.seconds} s…`);
  const { hostname, port } = new URL(base);
  const notModified = buildRequest('GET', `/v1/integrations/${made.id}/content`, {
    host: `${hostname}:${port}`,
    'user-agent': UA,
    authorization: made.auth,
    'if-none-match': full.etag,
  });
  const load = await runLoad({
    host: hostname,
    port: Number(port),
    connections: ctx.connections,
    seconds: ctx.seconds,
    okStatus: 304,
    request: () => notModified,
  });
  log(`  ${fmt(load.rps)} req/s, p50 ${load.p50ms.toFixed(2)} ms, p99 ${load.p99ms.toFixed(2)} ms, statuses ${statusText(load)}`);

  log(`  the list subscribed for one bouncer: ${fmt(n)} decisions written in one transaction…`);
  const t1 = performance.now();
  await usingDb(ctx.db, async (db) => {
    await createBouncer(db, { name: 'bench-lists', keyHash: hashApiKey(LISTS_KEY) });
    await subscribeBlocklist({ db }, made.listId, 'remediation_component_integration', ['bench-lists'], 'ban', made.org);
  });
  const subscribeSeconds = (performance.now() - t1) / 1000;
  // served once the server has read them: the last entry answers a query
  const last = ip4(LIST_BASE + n - 1);
  const t2 = performance.now();
  for (;;) {
    const r = await fetch(`${base}/v1/decisions?ip=${last}`, { headers: { 'x-api-key': LISTS_KEY, 'user-agent': UA } });
    if ((await r.text()) !== 'null') break;
    if (performance.now() - t2 > 300_000) throw new Error(`${last} still not served 300 s after the subscription`);
    await new Promise((res) => setTimeout(res, 100));
  }
  const servedSeconds = (performance.now() - t1) / 1000;
  log(`  written in ${subscribeSeconds.toFixed(1)} s, served ${servedSeconds.toFixed(1)} s after the write began`);
  const { out: pull, peak: pullPeak } = await peakMemory(server.pid, () => fetchStartup(base, LISTS_KEY));
  const listed = (pull.raw.toString('latin1').match(/"origin":"lists"/g) ?? []).length;
  log(
    `  startup pull: ${pull.seconds.toFixed(3)} s, ${fmt(pull.raw.length)} bytes, ${fmt(listed)} list decisions, peak RSS ${pullPeak.toFixed(0)} MiB`,
  );

  ctx.figures.blocklists = {
    entries: n,
    importSeconds,
    content: { seconds: full.seconds, bytes: full.bytes, rssBefore, peakRss: peak, gzipSeconds: gz.seconds, gzipBytes: gz.bytes },
    notModified: { rps: load.rps, p50ms: load.p50ms, p99ms: load.p99ms },
    stream: {
      subscribeSeconds,
      servedSeconds,
      startupSeconds: pull.seconds,
      bytes: pull.raw.length,
      listDecisions: listed,
      peakRss: pullPeak,
    },
  };
  const okBytes = full.status === 200 && full.bytes > 0;
  return [
    {
      measure: `blocklist import, ${fmt(n)} entries (${fmt(MAX_IPS_PER_REQUEST)} a transaction)`,
      value: `${importSeconds.toFixed(1)} s`,
      target: '',
      ok: true,
    },
    {
      measure: `/content, ${fmt(n)} entries, full body`,
      value: `${full.seconds.toFixed(2)} s, ${fmt(full.bytes / 2 ** 20, 1)} MiB`,
      target: 'streams',
      ok: okBytes,
    },
    {
      measure: '/content, server peak RSS during the pull',
      value: `${peak.toFixed(0)} MiB (${(peak - rssBefore).toFixed(0)} over its RSS before)`,
      target: 'no whole body in memory',
      ok: peak - rssBefore < Math.max(64, full.bytes / 2 ** 20 / 2),
    },
    {
      measure: '/content gzipped',
      value: `${gz.seconds.toFixed(2)} s, ${fmt(gz.bytes / 2 ** 20, 1)} MiB`,
      target: '',
      ok: gz.status === 200,
    },
    {
      measure: '/content 304 (If-None-Match)',
      value: `${fmt(load.rps)} req/s, p99 ${load.p99ms.toFixed(2)} ms`,
      target: 'all 304',
      ok: load.badStatus === 0 && load.failures === 0,
    },
    {
      measure: `subscription of ${fmt(n)} entries for a bouncer: written / served`,
      value: `${subscribeSeconds.toFixed(1)} s / ${servedSeconds.toFixed(1)} s`,
      target: '',
      ok: true,
    },
    {
      measure: `stream startup of a bouncer subscribed to ${fmt(n)} entries`,
      value: `${pull.seconds.toFixed(2)} s, ${fmt(listed)} list decisions`,
      target: `all ${fmt(n)}`,
      ok: listed === n,
    },
  ];
}
