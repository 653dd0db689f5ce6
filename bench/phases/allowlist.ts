import { addItems } from '../../src/store/allowlist-items.js';
import { addSubscribers } from '../../src/store/allowlist-subscribers.js';
import { createAllowlist } from '../../src/store/allowlists.js';
import { usingDb } from '../../src/store/db.js';
import { holdsBan, loadedIp, query } from '../api.js';
import { type ServerChild, watched, withCpu } from '../child.js';
import { runLoad } from '../load.js';
import { fmt, log, perfRows, queryRows, type Row, statusText } from '../report.js';
import type { PhaseContext } from './context.js';
import { perfLog, type QueryPhase, queryFigures } from './query.js';

/** Items of the allowlist that covers the query bouncer in the allowlisted query phase. */
export const ALLOW_ITEMS = 1000;

export interface AllowlistPhase {
  rows: Row[];
  /** The list's id, and the banned IP one of its items covers (the stream phase subscribes a bouncer to it). */
  listId: string;
  hiddenIp: string;
}

/**
 * The queries of the banned phase again, by a bouncer that ALLOW_ITEMS allowlist items cover (one of them
 * a banned IP, which must then read null), after timing how soon the server hides that ban.
 */
export async function allowlistPhase(ctx: PhaseContext, server: ServerChild, q: QueryPhase): Promise<AllowlistPhase> {
  const { seconds, connections } = ctx;
  const base = server.url;
  const { bannedIps, bannedReqs } = q;
  const queried = new Set(bannedIps);
  const hiddenIp = loadedIp([2, 3, 4, 5, 6].find((k) => !queried.has(loadedIp(k)))!);
  const listId = await usingDb(ctx.db, async (db) => {
    const list = await createAllowlist(db, 'bench', 'the query bouncer only');
    const values = Array.from({ length: ALLOW_ITEMS - 1 }, (_, i) => `172.${16 + (i >> 8)}.${i & 255}.0/24`);
    await addItems(db, list.id, {
      values: [hiddenIp, ...values],
      description: '',
      expiresAt: null,
      actor: { source_type: 'user', identifier: 'bench' },
    });
    await addSubscribers(db, list.id, 'remediation_component_integration', ['bench-query']);
    return list.id;
  });
  const allowlistedAt = performance.now();
  while ((await query(base, hiddenIp)) !== null) {
    if (performance.now() - allowlistedAt > 5000) throw new Error(`${hiddenIp} is still served 5 s after being allowlisted`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const allowlistSeconds = (performance.now() - allowlistedAt) / 1000;
  log(`query mode, banned IPs, the bouncer under ${fmt(ALLOW_ITEMS)} allowlist items: ${connections} connections for ${seconds} s…`);
  const { out: qAllow, perf } = await watched(server, () =>
    withCpu(server.pid, () => runLoad({ ...q.load, request: (i) => bannedReqs[i % bannedReqs.length]! })),
  );
  log(`  ${fmt(qAllow.rps)} req/s, p50 ${qAllow.p50ms.toFixed(2)} ms, p99 ${qAllow.p99ms.toFixed(2)} ms, statuses ${statusText(qAllow)}`);
  perfLog(perf);
  ctx.figures.queryAllowlisted = { ...queryFigures(qAllow, perf), allowlistHiddenSeconds: allowlistSeconds };
  const allowSampleOk = !!qAllow.sample && holdsBan(JSON.parse(qAllow.sample.body), bannedIps[qAllow.sample.request % bannedIps.length]!);
  const rows: Row[] = [
    ...queryRows(`banned IP, ${fmt(ALLOW_ITEMS)} allowlist items`, qAllow, ctx.targets.p99),
    ...perfRows(`query banned IP, ${fmt(ALLOW_ITEMS)} allowlist items`, perf, ctx.targets.gcPause),
    {
      measure: 'allowlisted ban hidden from the bouncer after',
      value: `${allowlistSeconds.toFixed(2)} s`,
      target: '<= 1 s (the poll)',
      ok: allowlistSeconds <= 1,
    },
    {
      measure: 'query answers spot-checked',
      value: q.samplesOk && allowSampleOk ? 'as expected' : 'WRONG',
      target: 'array with the IP / null',
      ok: q.samplesOk && allowSampleOk,
    },
  ];
  return { rows, listId, hiddenIp };
}
