import type { DbConfig } from '../../src/config/schema.js';
import type { Targets } from '../report.js';

/** What every phase is given: the run's options, the store the server uses, and the profiler. */
export interface PhaseContext {
  /** Decisions loaded. */
  n: number;
  /** Seconds per load phase. */
  seconds: number;
  connections: number;
  targets: Targets;
  /** The server's database, which phases write to directly (credentials, allowlists) as the CLI would. */
  db: DbConfig;
  /** Raw figures by phase, for the JSON report (`--json`): phases add theirs under their own keys. */
  figures: Record<string, unknown>;
  /** Runs `fn` under a CPU profile of the server named `name` when profiling was asked for. */
  profiled<T>(name: string, fn: () => Promise<T>): Promise<T>;
}
