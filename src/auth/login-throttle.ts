import { TooManyRequestsError } from '../errors.js';

/** Failures are forgotten after this long without a new one. */
export const FORGET_MS = 15 * 60 * 1000;
/** Entries kept per kind; past it the oldest are dropped (a flood of sources must not grow memory). */
const MAX_ENTRIES = 100_000;
/** bcrypt runs on libuv's pool: this many at once leaves the other threads, and a core, to the rest. */
const CONCURRENT_CHECKS = 2;
const QUEUED_CHECKS = 256;

interface Strikes {
  failures: number;
  /** Epoch ms before which the next attempt is refused. */
  until: number;
  last: number;
}

export interface ThrottleOptions {
  /** Failures a source or a machine may make before each further attempt must wait. */
  failuresAllowed: number;
  /** The longest such wait; it doubles from one second. */
  backoffMaxMs: number;
  now?: () => number;
}

/**
 * Slows password guessing on `/v1/watchers/login`, per source address and per machine: after
 * `failuresAllowed` failures, each further failure makes the next attempt wait 1 s, 2 s, 4 s… up to
 * `backoffMaxMs`. A machine's wait does not apply to the address it last logged in from, so a guesser
 * elsewhere cannot lock a working agent out. Legitimate agents, which log in right, never see it.
 * Password checks also run at most CONCURRENT_CHECKS at a time: each costs a bcrypt.
 */
export class LoginThrottle {
  private readonly sources = new Map<string, Strikes>();
  private readonly machines = new Map<string, Strikes>();
  private readonly now: () => number;
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly opts: ThrottleOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Throws TooManyRequestsError while `source` must wait. */
  checkSource(source: string): void {
    this.refuseWhileWaiting(this.sources.get(source));
  }

  /** Throws TooManyRequestsError while `machineId` must wait, unless `source` is where it last logged in from. */
  checkMachine(machineId: string, source: string, lastLoginIp: string | undefined): void {
    if (lastLoginIp !== undefined && lastLoginIp !== '' && lastLoginIp === source) return;
    this.refuseWhileWaiting(this.machines.get(machineId));
  }

  /** A wrong password, or a machine that does not exist. */
  failed(source: string, machineId: string): void {
    this.strike(this.sources, source);
    this.strike(this.machines, machineId);
  }

  succeeded(machineId: string): void {
    this.machines.delete(machineId);
  }

  /** Runs a password check when a slot is free; refuses when too many wait already. */
  async checking<T>(check: () => Promise<T>): Promise<T> {
    if (this.running >= CONCURRENT_CHECKS) {
      if (this.queue.length >= QUEUED_CHECKS) throw new TooManyRequestsError('too many logins in progress', 1);
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else this.running++;
    try {
      return await check();
    } finally {
      // the slot passes to the next in line, or is freed
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }

  private refuseWhileWaiting(s: Strikes | undefined): void {
    const t = this.now();
    if (!s || s.until <= t) return;
    const seconds = Math.ceil((s.until - t) / 1000);
    throw new TooManyRequestsError(`too many failed logins: retry in ${seconds}s`, seconds);
  }

  private strike(map: Map<string, Strikes>, key: string): void {
    const t = this.now();
    let s = map.get(key);
    if (s && t - s.last > FORGET_MS) s = undefined;
    if (!s) {
      if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value!);
      s = { failures: 0, until: 0, last: t };
    }
    map.delete(key);
    map.set(key, s);
    s.failures++;
    s.last = t;
    const over = s.failures - this.opts.failuresAllowed + 1;
    if (over > 0) s.until = t + Math.min(1000 * 2 ** Math.min(over - 1, 30), this.opts.backoffMaxMs);
  }
}
