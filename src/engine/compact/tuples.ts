import { goString } from '../../go-format.js';

/**
 * The attributes decisions share (origin, scenario, scope, type, simulated), interned as one small integer
 * per distinct combination. A million decisions typically carry a few hundred combinations: filters are
 * decided once per combination, and the wire text of the four strings is encoded once, here.
 */
export interface Tuple {
  readonly origin: string;
  readonly scenario: string;
  readonly scope: string;
  readonly type: string;
  readonly simulated: boolean;
  /** `,"origin":…,"scenario":…,"scope":…,"type":…` as bouncers receive it (keys in Go's order). */
  readonly wire: Buffer;
}

export class TupleTable {
  private readonly byKey = new Map<string, number>();
  private readonly list: (Tuple | undefined)[] = [];
  private refs: number[] = [];
  private readonly free: number[] = [];
  /** The last tuple asked for: rows come in runs that share their attributes. */
  private last = -1;

  get size(): number {
    return this.byKey.size;
  }

  /** The tuple's number, taking a reference (release it with `unref`). */
  ref(origin: string, scenario: string, scope: string, type: string, simulated: boolean): number {
    const l = this.last >= 0 ? this.list[this.last] : undefined;
    if (l && l.origin === origin && l.scenario === scenario && l.scope === scope && l.type === type && l.simulated === simulated) {
      this.refs[this.last]!++;
      return this.last;
    }
    const key = `${origin}\0${scenario}\0${scope}\0${type}\0${simulated ? 1 : 0}`;
    let t = this.byKey.get(key);
    if (t === undefined) {
      const wire = Buffer.from(
        `,"origin":${goString(origin)},"scenario":${goString(scenario)},"scope":${goString(scope)},"type":${goString(type)}`,
      );
      t = this.free.pop() ?? this.list.length;
      this.list[t] = { origin, scenario, scope, type, simulated, wire };
      this.refs[t] = 0;
      this.byKey.set(key, t);
    }
    this.refs[t]!++;
    this.last = t;
    return t;
  }

  unref(t: number): void {
    if (--this.refs[t]! > 0) return;
    const x = this.list[t]!;
    this.byKey.delete(`${x.origin}\0${x.scenario}\0${x.scope}\0${x.type}\0${x.simulated ? 1 : 0}`);
    this.list[t] = undefined;
    this.free.push(t);
    if (this.last === t) this.last = -1;
  }

  get(t: number): Tuple {
    return this.list[t]!;
  }

  /** Upper bound of the numbers in use (for per-call caches indexed by tuple). */
  get span(): number {
    return this.list.length;
  }
}
