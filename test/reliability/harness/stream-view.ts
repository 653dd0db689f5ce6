import { parse, type Bouncer, type Traffic } from './client.js';

interface WireDecision {
  id: number;
  scope: string;
  value: string;
  type: string;
  duration: string;
}

interface StreamBody {
  new: WireDecision[] | null;
  deleted: WireDecision[] | null;
}

/** What a bouncer holds for one key: the decision it was last sent, and when that decision ends (±1 s: the wire rounds). */
export interface Held {
  id: number;
  until: number;
}

/** A Go duration as the wire prints it (`3h59m58s`, `-2m3s`, `0s`), in ms. */
export function goDurationMs(s: string): number {
  const m = /^(-)?(?:(\d+)h)?(?:(\d+)m)?(?:([\d.]+)s)?$/.exec(s);
  if (!m) throw new Error(`not a Go duration: ${s}`);
  const ms = (Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0)) * 1000;
  return m[1] ? -ms : ms;
}

const keyOf = (d: WireDecision) => `${d.scope}|${d.value}|${d.type}`;

/**
 * A stream bouncer as the firewall bouncer works: one `startup=true`, then deltas, each applied to its view
 * (keys in `deleted` removed, keys in `new` set), keyed by (scope, value, type) as the stream deduplicates.
 */
export class StreamView {
  readonly view = new Map<string, Held>();
  pulls = 0;
  received = { new: 0, deleted: 0 };
  private started = false;

  constructor(
    readonly bouncer: Bouncer,
    private readonly traffic: Traffic,
  ) {}

  private async get(startup: boolean): Promise<{ body: StreamBody; at: number }> {
    const at = Date.now();
    const r = await this.traffic.track(startup ? 'stream startup' : 'stream delta', () =>
      this.bouncer.get(`/v1/decisions/stream${startup ? '?startup=true' : ''}`),
    );
    if (r.status !== 200) throw new Error(`${this.bouncer.name}: stream ${r.status} ${r.text.slice(0, 200)}`);
    return { body: parse<StreamBody>(r), at };
  }

  /** The first pull is a startup, the others deltas. */
  async pull(): Promise<void> {
    const { body, at } = await this.get(!this.started);
    this.started = true;
    this.pulls++;
    for (const d of body.deleted ?? []) {
      this.received.deleted++;
      this.view.delete(keyOf(d));
    }
    for (const d of body.new ?? []) {
      this.received.new++;
      this.view.set(keyOf(d), { id: d.id, until: at + goDurationMs(d.duration) });
    }
  }

  /** A fresh `startup=true` pull by this bouncer's identity, not applied: what the view should be. */
  async snapshot(): Promise<{ view: Map<string, Held>; at: number }> {
    const { body, at } = await this.get(true);
    return { view: new Map((body.new ?? []).map((d) => [keyOf(d), { id: d.id, until: at + goDurationMs(d.duration) }])), at };
  }
}

export interface ViewDiff {
  missing: string[];
  extra: string[];
  otherDecision: string[];
  /** Keys on one side only whose decision ends between the last delta and the snapshot: either answer is right. */
  endingMeanwhile: number;
}

/**
 * Compares a reconstructed view with a snapshot taken right after its last delta (`from`…`to`). A decision
 * ending in that window (with the wire's 1 s rounding and some clock slack) may be on either side.
 */
export function diffViews(view: Map<string, Held>, snap: Map<string, Held>, from: number, to: number, slackMs = 3000): ViewDiff {
  const out: ViewDiff = { missing: [], extra: [], otherDecision: [], endingMeanwhile: 0 };
  const ending = (h: Held) => h.until >= from - slackMs && h.until <= to + slackMs;
  for (const [k, h] of snap) {
    const mine = view.get(k);
    if (!mine) {
      if (ending(h)) out.endingMeanwhile++;
      else out.missing.push(k);
    } else if (mine.id !== h.id) out.otherDecision.push(`${k}: view has #${mine.id}, snapshot #${h.id}`);
  }
  for (const [k, h] of view) {
    if (snap.has(k)) continue;
    if (ending(h)) out.endingMeanwhile++;
    else out.extra.push(k);
  }
  return out;
}
