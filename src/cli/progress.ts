import type { Sink } from './output.js';

/** A progress display: `update` with the running count, `done` once finished (or failed). */
export interface Progress {
  update(done: number): void;
  done(): void;
}

const NONE: Progress = { update() {}, done() {} };
const WIDTH = 30;

/**
 * A one-line progress bar redrawn in place on `stream` (`label [#####.....] 20000/45000  44%`), only when
 * that stream is a terminal: piped or captured, nothing is written, so stderr stays the command's messages.
 */
export function progressBar(stream: Sink & { isTTY?: boolean }, label: string, total: number): Progress {
  if (stream.isTTY !== true || total <= 0) return NONE;
  let shown = false;
  return {
    update(done) {
      const part = Math.min(1, done / total);
      const filled = Math.round(part * WIDTH);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${total} ${Math.floor(part * 100)}%`);
      shown = true;
    },
    done() {
      // the bar's line ends, so that what follows starts on a line of its own
      if (shown) stream.write('\n');
      shown = false;
    },
  };
}
