import type { Decision } from '../domain/decision.js';
import type { DecisionFilter } from '../domain/decision-filter.js';
import type { DecisionIndex, SlotDelta } from '../engine/decision-index.js';
import type { StreamBody } from '../engine/compact/wire-writer.js';
import { getStreamCursor, setStreamCursor } from '../store/bouncers.js';
import type { UseCaseDeps } from './deps.js';

/**
 * A stream answer: the index's slots and the time it was computed at (the durations it carries count from
 * then). `body()` writes it as bytes; `new`/`deleted` build objects, for tests and logs.
 */
export class StreamAnswer {
  constructor(
    private readonly index: DecisionIndex,
    readonly slots: SlotDelta,
    readonly at: number,
  ) {}

  get new(): Decision[] {
    return Array.from(this.slots.new, (s) => this.index.decisionAt(s));
  }

  get deleted(): Decision[] {
    return Array.from(this.slots.deleted, (s) => this.index.decisionAt(s));
  }

  body(): StreamBody {
    return this.index.body(this.slots, this.at);
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
  const out =
    startup || cursor.seq === null || cursor.lastPull === null || cursor.lastPull < now - deps.graceMs
      ? feed.index.snapshotSlots(filter, now, view)
      : feed.index.deltaSlots(
          filter,
          cursor.seq,
          cursor.lastPull,
          now,
          view,
          allowlists.changedSince(who, cursor.allowlists, cursor.lastPull, now),
        );
  await setStreamCursor(deps.db, bouncer.id, seq, now, allowlistsVersion);
  return new StreamAnswer(feed.index, out, now);
}
