/**
 * Waiting in tests: for a condition, never for a guessed length of time. `pause` is for the rare step where
 * time passing is the scenario itself (alerts arriving during a group_wait), not a wait for something to happen.
 */

/** Polls `cond` every 5 ms until it holds; rejects, naming `what`, after `timeoutMs`. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(5);
  }
}

/** Lets `ms` pass. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
