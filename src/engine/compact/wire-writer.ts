import type { DecisionColumns } from './columns.js';
import type { TupleTable } from './tuples.js';

/**
 * Bouncer decisions written as bytes straight from the columns, byte for byte what `api/wire.ts`'s
 * `bouncerDecision` writes: `{"duration":"…","id":…` + the tuple's encoded strings + (`,"uuid":"…"`) +
 * `,"value":"…"}`. Only the duration and the id are formatted per answer; the rest is copied.
 */

const text = (s: string) => Buffer.from(s, 'latin1');
const OPEN = text('{"duration":"');
const ID = text('","id":');
const UUID = text(',"uuid":"');
const VALUE_AFTER_UUID = text('","value":"');
const VALUE = text(',"value":"');
const CLOSE = text('"}');
const NULL = text('null');

/** Copies `src` into `buf` at `pos`; a byte loop for the short pieces, where a native copy costs more. */
function put(buf: Buffer, pos: number, src: Uint8Array, start = 0, end = src.length): number {
  if (end - start > 24) return pos + (src as Buffer).copy(buf, pos, start, end);
  for (let i = start; i < end; i++) buf[pos++] = src[i]!;
  return pos;
}

/** A non-negative integer in decimal. */
function putUint(buf: Buffer, pos: number, n: number): number {
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  let at = pos + digits;
  do {
    buf[--at] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  return pos + digits;
}

/** The time left as Go prints a duration rounded to the second (domain/duration.ts `remainingDuration`). */
function putDuration(buf: Buffer, pos: number, until: number, now: number): number {
  const diff = until - now;
  const secs = Math.round(Math.abs(diff) / 1000);
  if (secs === 0) {
    buf[pos] = 48;
    buf[pos + 1] = 115;
    return pos + 2;
  }
  if (diff < 0) buf[pos++] = 45;
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  if (h > 0) {
    pos = putUint(buf, pos, h);
    buf[pos++] = 104;
  }
  if (h > 0 || m > 0) {
    pos = putUint(buf, pos, m);
    buf[pos++] = 109;
  }
  pos = putUint(buf, pos, secs % 60);
  buf[pos++] = 115;
  return pos;
}

export class WireWriter {
  constructor(
    private readonly cols: DecisionColumns,
    private readonly tuples: TupleTable,
  ) {}

  /** At most this many bytes for slot `s`. */
  maxSize(s: number, withUuid: boolean): number {
    const c = this.cols;
    return 80 + this.tuples.get(c.tuple[s]!).wire.length + (withUuid ? 12 + c.uuidLength[s]! : 0) + c.valueLength[s]!;
  }

  /** Writes slot `s` at `pos`, returns the position after it. */
  write(buf: Buffer, pos: number, s: number, now: number, withUuid: boolean): number {
    const c = this.cols;
    const arena = c.arena;
    const off = c.offset[s]!;
    const u = c.uuidLength[s]!;
    pos = put(buf, pos, OPEN);
    pos = putDuration(buf, pos, c.until[s]!, now);
    pos = put(buf, pos, ID);
    pos = putUint(buf, pos, c.id[s]!);
    pos = put(buf, pos, this.tuples.get(c.tuple[s]!).wire);
    if (withUuid) {
      pos = put(buf, pos, UUID);
      pos = put(buf, pos, arena, off, off + u);
      pos = put(buf, pos, VALUE_AFTER_UUID);
    } else pos = put(buf, pos, VALUE);
    pos = put(buf, pos, arena, off + u, off + u + c.valueLength[s]!);
    return put(buf, pos, CLOSE);
  }

  /** A JSON array of the slots' decisions, or `null` when there are none (query mode, as upstream). */
  list(slots: ArrayLike<number>, now: number, withUuid: boolean): Buffer {
    if (slots.length === 0) return NULL;
    let size = 2;
    for (let i = 0; i < slots.length; i++) size += this.maxSize(slots[i]!, withUuid) + 1;
    const buf = Buffer.allocUnsafe(size);
    let pos = 0;
    buf[pos++] = 91;
    for (let i = 0; i < slots.length; i++) {
      if (i > 0) buf[pos++] = 44;
      pos = this.write(buf, pos, slots[i]!, now, withUuid);
    }
    buf[pos++] = 93;
    return buf.subarray(0, pos);
  }
}

const HEAD = text('{"new": ');
const MIDDLE = text(', "deleted": ');
const TAIL = text('}');

/** Slots to write: a list, or a function giving the next slot (-1 once there are no more). */
export type SlotSource = ArrayLike<number> | (() => number);

function puller(src: SlotSource): () => number {
  if (typeof src === 'function') return src;
  let i = 0;
  return () => (i < src.length ? src[i++]! : -1);
}

/**
 * The stream body (`{"new": […], "deleted": […]}`, upstream's hand-written separators) produced chunk by
 * chunk on demand: a reader that does not read gets no more chunks built, whatever the body's size.
 */
export class StreamBody {
  private readonly sources: (() => number)[];
  private part = 0;
  private opened = false;
  private written = 0;
  /** A slot taken from the source that did not fit in the last chunk (-1: none). */
  private pending = -1;

  constructor(
    private readonly writer: WireWriter,
    lists: readonly [SlotSource, SlotSource],
    private readonly now: number,
  ) {
    this.sources = lists.map(puller);
  }

  /** The next chunk of about `size` bytes, or null once the body is complete. */
  next(size: number): Buffer | null {
    if (this.part === 3) return null;
    let buf = Buffer.allocUnsafe(Math.max(size, 64));
    let pos = 0;
    while (this.part < 3) {
      // room for a header, a `null` or a closing bracket, and the tail
      if (pos + 32 > buf.length) return buf.subarray(0, pos);
      if (this.part === 2) {
        pos = put(buf, pos, TAIL);
        this.part = 3;
        break;
      }
      const pull = this.sources[this.part]!;
      if (!this.opened) {
        pos = put(buf, pos, this.part === 0 ? HEAD : MIDDLE);
        this.opened = true;
        this.written = 0;
        this.pending = pull();
        if (this.pending < 0) {
          pos = put(buf, pos, NULL);
          this.part++;
          this.opened = false;
          continue;
        }
        buf[pos++] = 91;
      }
      for (;;) {
        if (this.pending < 0) this.pending = pull();
        const s = this.pending;
        if (s < 0) break;
        const need = this.writer.maxSize(s, true) + 2;
        if (pos + need > buf.length) {
          if (pos > 0) return buf.subarray(0, pos);
          buf = Buffer.allocUnsafe(need);
        }
        if (this.written++ > 0) buf[pos++] = 44;
        pos = this.writer.write(buf, pos, s, this.now, true);
        this.pending = -1;
      }
      buf[pos++] = 93;
      this.part++;
      this.opened = false;
    }
    return buf.subarray(0, pos);
  }
}
