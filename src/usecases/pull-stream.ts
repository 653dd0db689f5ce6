import type { Decision } from '../domain/decision.js';
import type { DecisionFilter } from '../domain/decision-filter.js';
import type { DecisionIndex, SlotDelta } from '../engine/decision-index.js';
import type { SlotSource, StreamBody } from '../engine/compact/wire-writer.js';
import { getStreamCursor, setStreamCursor } from '../store/bouncers.js';
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

/**
 * A bouncer's stream pull (`GET /v1/decisions/stream`), upstream's cursor protocol: read the bouncer's
 * cursor, catch up with what another node served it, then answer a snapshot (startup, no cursor, or one
 * older than the grace) or the delta since the cursor, and move the cursor. The cursor is the one write:
 * it moves only once the answer exists, and when it cannot be saved the error goes up and the cursor stays.
 */
export async function pullStream(
  deps: Pick<UseCaseDeps, 'db' | 'feed' | 'allowlists' | 'graceMs'>,
  bouncer: { readonly id: number; readonly name: string },
  filter: DecisionFilter,
  startup: boolean,
  clock: () => number = Date.now,
): Promise<StreamAnswer> {
  const { feed, allowlists } = deps;
  const cursor = await getStreamCursor(deps.db, bouncer.id);
  // a cursor another node moved past what this one has applied: catch up first
  if (cursor.seq !== null && cursor.seq > feed.servedSeq) await feed.catchUp();
  if (cursor.allowlists > allowlists.servedVersion) await allowlists.refresh();
  const now = clock();
  const seq = feed.servedSeq;
  const allowlistsVersion = allowlists.servedVersion;
  // what the bouncer's allowlists cover is never served; what they started or stopped covering is sent again
  const who = { kind: 'bouncer', name: bouncer.name } as const;
  const view = allowlists.viewFor(who, now);
  let slots: () => SlotDelta;
  if (startup || cursor.seq === null || cursor.lastPull === null || cursor.lastPull < now - deps.graceMs) {
    slots = () => ({ new: feed.index.snapshotWalk(filter, now, view), deleted: [] });
  } else {
    const changed = allowlists.changedSince(who, cursor.allowlists, cursor.lastPull, now);
    const out = feed.index.deltaSlots(filter, cursor.seq, cursor.lastPull, now, view, changed);
    slots = () => out;
  }
  await setStreamCursor(deps.db, bouncer.id, seq, now, allowlistsVersion);
  return new StreamAnswer(feed.index, slots, now);
}
