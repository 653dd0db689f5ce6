import type { Entity } from '../domain/allowlist.js';
import { LISTS_ORIGIN, pairKey } from '../domain/blocklist.js';
import type { Decision } from '../domain/decision.js';
import type { DecisionFilter } from '../domain/decision-filter.js';
import type { DecisionIndex, SlotDelta } from '../engine/decision-index.js';
import type { SlotSource, StreamBody } from '../engine/compact/wire-writer.js';
import { getStreamCursor, setStreamCursor } from '../store/bouncers.js';
import type { Db } from '../store/db.js';
import { getIntegrationCursor, setIntegrationCursor } from '../store/integrations.js';
import type { UseCaseDeps } from './deps.js';

/**
 * A stream answer: the index's slots and the time it was computed at (the durations it carries count from
 * then). `body()` writes it as bytes; `new`/`deleted` build objects, for tests and logs.
 */
export class StreamAnswer {
  /** `slots` makes the answer's slots: a snapshot is walked as it is written, so each use makes it anew. */
  constructor(
    private readonly index: DecisionIndex,
    private readonly slots: () => SlotDelta,
    readonly at: number,
  ) {}

  get new(): Decision[] {
    return this.decisions(this.slots().new);
  }

  get deleted(): Decision[] {
    return this.decisions(this.slots().deleted);
  }

  private decisions(src: SlotSource): Decision[] {
    const out: Decision[] = [];
    if (typeof src !== 'function') for (let i = 0; i < src.length; i++) out.push(this.index.decisionAt(src[i]!));
    else for (let s = src(); s >= 0; s = src()) out.push(this.index.decisionAt(s));
    return out;
  }

  body(): StreamBody {
    return this.index.body(this.slots(), this.at);
  }
}

/** Who pulls a stream, and where its cursor is kept: a bouncer, or a remediation-component integration. */
export interface StreamSubject {
  readonly entity: Entity;
  cursor(db: Db): Promise<{ seq: number | null; lastPull: number | null; allowlists: number }>;
  save(db: Db, seq: number, at: number, allowlists: number): Promise<void>;
}

export function bouncerSubject(bouncer: { readonly id: number; readonly name: string }): StreamSubject {
  return {
    entity: { kind: 'bouncer', name: bouncer.name },
    cursor: (db) => getStreamCursor(db, bouncer.id),
    save: (db, seq, at, v) => setStreamCursor(db, bouncer.id, seq, at, v),
  };
}

export function integrationSubject(id: string): StreamSubject {
  return {
    entity: { kind: 'integration', name: id },
    cursor: (db) => getIntegrationCursor(db, id),
    save: (db, seq, at, v) => setIntegrationCursor(db, id, seq, at, v),
  };
}

/**
 * A stream pull (`GET /v1/decisions/stream`), upstream's cursor protocol: read the cursor, catch up with
 * what another node served it, then answer a snapshot (startup, no cursor, or one older than the grace) or
 * the delta since the cursor, and move the cursor. The cursor is the one write: it moves only once the
 * answer exists, and when it cannot be saved the error goes up and the cursor stays.
 */
export async function pullStream(
  deps: Pick<UseCaseDeps, 'db' | 'feed' | 'allowlists' | 'graceMs' | 'metrics'>,
  subject: StreamSubject | { readonly id: number; readonly name: string },
  filter: DecisionFilter,
  startup: boolean,
  clock: () => number = Date.now,
): Promise<StreamAnswer> {
  const { feed, allowlists } = deps;
  const who = 'entity' in subject ? subject : bouncerSubject(subject);
  const cursor = await who.cursor(deps.db);
  // a cursor another node moved past what this one has applied: catch up first
  if (cursor.seq !== null && cursor.seq > feed.servedSeq) await feed.catchUp();
  if (cursor.allowlists > allowlists.servedVersion) await allowlists.refresh();
  const now = clock();
  const seq = feed.servedSeq;
  const allowlistsVersion = allowlists.servedVersion;
  // what the asker's allowlists cover is never served; what they started or stopped covering is sent again
  const view = allowlists.viewFor(who.entity, now);
  // blocklists reach whom their subscriptions name
  const audience = allowlists.audienceFor(who.entity);
  const f: DecisionFilter = { ...filter, audience };
  let slots: () => SlotDelta;
  let kind: 'startup' | 'delta';
  if (startup || cursor.seq === null || cursor.lastPull === null || cursor.lastPull < now - deps.graceMs) {
    kind = 'startup';
    slots = () => ({ new: feed.index.snapshotWalk(f, now, view), deleted: [] });
  } else {
    kind = 'delta';
    const changed = allowlists.changedSince(who.entity, cursor.allowlists, cursor.lastPull, now);
    const out = feed.index.deltaSlots(f, cursor.seq, cursor.lastPull, now, view, changed);
    const flips = allowlists.audienceFlipsSince(who.entity, cursor.allowlists);
    if (flips) {
      const everything = flips === 'all';
      const integration = who.entity.kind === 'integration';
      const reach = (t: { origin: string; scenario: string; type: string }) =>
        t.origin === LISTS_ORIGIN
          ? everything || (flips as ReadonlySet<string>).has(pairKey(t.scenario, t.type))
          : everything && integration;
      const again = feed.index.resendAudience(filter, f, reach, cursor.lastPull, now, view);
      const merged = { new: feed.index.mergeById(out.new, again.new), deleted: feed.index.mergeById(out.deleted, again.deleted) };
      slots = () => merged;
    } else {
      slots = () => out;
    }
  }
  await who.save(deps.db, seq, now, allowlistsVersion);
  deps.metrics?.lapis.streamPulls.inc({ kind });
  return new StreamAnswer(feed.index, slots, now);
}
