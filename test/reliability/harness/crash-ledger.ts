import type { Config } from '../../../src/config/schema.js';
import { usingDb } from '../../../src/store/db.js';
import type { PlannedAlert } from './alerts.js';
import { parse, type Agent, type Bouncer } from './client.js';

/**
 * What the crash suite's clients sent and what the server acknowledged. An acknowledgement is a promise
 * that survives `kill -9`: an alert id in a 201, `nbDeleted` in a 200, a 201 for an allowlist item.
 * Requests cut by the kill are "sent" only: their outcome may be either, but never half of one.
 */
export class CrashLedger {
  /** Every alert sent, by its (unique) source value. */
  readonly sent = new Map<string, PlannedAlert>();
  /** Every decision value sent (each is unique in this suite). */
  readonly values = new Set<string>();
  /** Acknowledged alerts by id. */
  readonly acked = new Map<number, PlannedAlert>();
  /** Decision values with a DELETE sent, and those whose DELETE was answered. */
  readonly deletesSent = new Set<string>();
  readonly deletesAcked = new Set<string>();
  /** Values sent as items of the `org` allowlist, and those answered 201. */
  readonly allowSent = new Set<string>();
  readonly allowAcked = new Set<string>();
  /** Acknowledged single-address decisions nothing was sent against yet: candidates for deletes and items. */
  readonly untouched: string[] = [];

  /** Takes a random untouched acknowledged address out of the candidates. */
  takeUntouched(): string | undefined {
    if (this.untouched.length === 0) return undefined;
    const i = Math.floor(Math.random() * this.untouched.length);
    const v = this.untouched[i]!;
    this.untouched[i] = this.untouched[this.untouched.length - 1]!;
    this.untouched.pop();
    return v;
  }

  send(alerts: PlannedAlert[]): void {
    for (const a of alerts) {
      this.sent.set(a.source, a);
      for (const d of a.decisions) this.values.add(d.value);
    }
  }

  ack(ids: number[], alerts: PlannedAlert[]): void {
    ids.forEach((id, i) => {
      const a = alerts[i]!;
      this.acked.set(id, a);
      for (const d of a.decisions) if (d.scope === 'Ip') this.untouched.push(d.value);
    });
  }

  /** Values whose decisions must still be active: acknowledged, and nothing sent that could end them. */
  *mustBeActive(): Generator<string> {
    for (const a of this.acked.values()) {
      for (const d of a.decisions) if (!this.deletesSent.has(d.value) && !this.allowSent.has(d.value)) yield d.value;
    }
  }

  /** Values whose decisions must have ended: a DELETE or an `org` item acknowledged. */
  *mustBeEnded(): Generator<string> {
    yield* this.deletesAcked;
    yield* this.allowAcked;
  }
}

/** A check's findings, `problems` empty when it passed. */
export interface Verdict {
  problems: string[];
  figures: Record<string, number>;
}

function collector(): { problems: string[]; add(kind: string, detail: string): void } {
  const byKind = new Map<string, number>();
  const problems: string[] = [];
  return {
    problems,
    add(kind, detail) {
      const n = (byKind.get(kind) ?? 0) + 1;
      byKind.set(kind, n);
      if (n <= 5) problems.push(`${kind}: ${detail}`);
      else if (n === 6) problems.push(`${kind}: …more`);
    },
  };
}

const sameValues = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

/** Reads the store directly while no server runs: the state a crash left behind. */
export async function verifyStore(config: Config, ledger: CrashLedger): Promise<Verdict> {
  const c = collector();
  const now = Date.now();
  const { alerts, decisions, items } = await usingDb(config.db, async (db) => ({
    alerts: await db.selectFrom('alerts').select(['id', 'source_value']).execute(),
    decisions: await db.selectFrom('decisions').select(['alert_id', 'value', 'until']).execute(),
    items: await db.selectFrom('allowlist_items').select('value').execute(),
  }));
  const byAlert = new Map<number, string[]>();
  const activeByValue = new Map<string, number>();
  for (const d of decisions) {
    if (d.alert_id !== null) {
      const list = byAlert.get(Number(d.alert_id));
      if (list) list.push(d.value);
      else byAlert.set(Number(d.alert_id), [d.value]);
    }
    if (Number(d.until) > now) activeByValue.set(d.value, (activeByValue.get(d.value) ?? 0) + 1);
  }
  const stored = new Map(alerts.map((a) => [Number(a.id), a.source_value]));
  let present = 0;
  for (const [id, planned] of ledger.acked) {
    const source = stored.get(id);
    if (source === undefined) c.add('acknowledged alert lost', `id ${id} (${planned.source})`);
    else if (source !== planned.source) c.add('acknowledged alert changed', `id ${id}: source ${source}, sent ${planned.source}`);
    else if (
      !sameValues(
        byAlert.get(id) ?? [],
        planned.decisions.map((d) => d.value),
      )
    )
      c.add('acknowledged alert lost decisions', `id ${id}: ${byAlert.get(id)?.join(',')}`);
    else present++;
  }
  let unacked = 0;
  for (const [id, source] of stored) {
    const planned = ledger.sent.get(source);
    if (!planned) c.add('alert never sent', `id ${id} ${source}`);
    else if ((byAlert.get(id)?.length ?? 0) !== planned.decisions.length)
      c.add('alert stored without all its decisions', `id ${id} ${source}: ${byAlert.get(id)?.length ?? 0}/${planned.decisions.length}`);
    if (!ledger.acked.has(id)) unacked++;
  }
  for (const v of ledger.mustBeActive()) if (!activeByValue.has(v)) c.add('acknowledged decision not active', v);
  for (const v of ledger.mustBeEnded())
    if (activeByValue.has(v)) c.add('decision still active after an acknowledged delete or allowlist item', v);
  const itemValues = new Set(items.map((i) => i.value));
  for (const v of ledger.allowAcked) if (!itemValues.has(v)) c.add('acknowledged allowlist item lost', v);
  // an item whose request was cut, stored but with its decisions not ended: half of one operation
  let halfApplied = 0;
  for (const v of ledger.allowSent) if (!ledger.allowAcked.has(v) && itemValues.has(v) && activeByValue.has(v)) halfApplied++;
  return {
    problems: c.problems,
    figures: {
      alerts: stored.size,
      acked: ledger.acked.size,
      present,
      storedUnacked: unacked,
      decisions: decisions.length,
      active: activeByValue.size,
      items: itemValues.size,
      itemsHalfApplied: halfApplied,
    },
  };
}

interface WireAlert {
  id: number;
  source: { value: string };
  decisions: { value: string }[] | null;
}

/** Asks the restarted server: every acknowledged alert through `GET /v1/alerts`, the active decisions through a bouncer (query and stream startup). */
export async function verifyApi(agent: Agent, bouncer: Bouncer, ledger: CrashLedger, storedAlerts: number): Promise<Verdict> {
  const c = collector();
  const r = await agent.call('GET', '/v1/alerts?limit=0', undefined, 60_000);
  if (r.status !== 200) return { problems: [`GET /v1/alerts: ${r.status} ${r.text.slice(0, 200)}`], figures: {} };
  const alerts = new Map((parse<WireAlert[] | null>(r) ?? []).map((a) => [a.id, a]));
  if (alerts.size !== storedAlerts) c.add('GET /v1/alerts count differs from the store', `${alerts.size} vs ${storedAlerts}`);
  for (const [id, planned] of ledger.acked) {
    const a = alerts.get(id);
    if (!a) c.add('acknowledged alert missing from GET /v1/alerts', `id ${id}`);
    else if (
      !sameValues(
        (a.decisions ?? []).map((d) => d.value),
        planned.decisions.map((d) => d.value),
      )
    )
      c.add('alert decisions differ', `id ${id}`);
  }
  const q = await bouncer.get('/v1/decisions', 60_000);
  if (q.status !== 200) return { problems: [...c.problems, `GET /v1/decisions: ${q.status}`], figures: {} };
  const live = new Set((parse<{ value: string }[] | null>(q) ?? []).map((d) => d.value));
  for (const v of ledger.mustBeActive()) if (!live.has(v)) c.add('acknowledged decision missing from GET /v1/decisions', v);
  for (const v of ledger.mustBeEnded()) if (live.has(v)) c.add('ended decision served by GET /v1/decisions', v);
  for (const v of live) if (!ledger.values.has(v)) c.add('decision never sent', v);
  const s = await bouncer.get('/v1/decisions/stream?startup=true', 60_000);
  const streamed = new Set((parse<{ new: { value: string }[] | null }>(s).new ?? []).map((d) => d.value));
  if (!sameValues([...streamed], [...live])) c.add('stream startup differs from query mode', `${streamed.size} vs ${live.size} values`);
  return { problems: c.problems, figures: { alerts: alerts.size, activeServed: live.size } };
}
