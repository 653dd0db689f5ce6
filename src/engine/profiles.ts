import type { Logger } from 'pino';
import type { NewAlert, NewDecision } from '../domain/alert.js';
import { DurationError, parseDuration, formatGoDuration } from '../domain/duration.js';
import { ExprRuntimeError, runBool } from '../expr/index.js';
import { ipOrRangeOrNull, type IpRange } from '../domain/ip-range.js';
import type { Profile } from '../domain/profile.js';
import { isIpScope, normalizeScope } from '../domain/scope.js';
import type { Db } from '../store/db.js';
import { decisionHistory, type DecisionHistoryItem } from '../store/decisions.js';
import { alertEnv } from './alert-env.js';

/** Thrown inside an expression when a helper needs decisions not fetched yet; the evaluation is re-run. */
class NeedHistory extends Error {
  constructor(readonly value: string) {
    super(`history for ${value}`);
  }
}

export interface ProfileOutcome {
  /** For each alert, the notifiers to send it to. */
  notify: string[][];
  /** For each alert, the profile that gave it decisions (or null). */
  matchedBy: (string | null)[];
}

/** The evaluator wraps what a host function throws: look through it. */
function needOf(err: unknown): NeedHistory | undefined {
  if (err instanceof NeedHistory) return err;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause instanceof NeedHistory ? cause : undefined;
}

/**
 * Runs profiles over incoming alerts (as pkg/apiserver/controllers/v1/alerts.go CreateAlert): alerts without decisions get those of the
 * first matching profile that yields some; alerts that arrived with decisions keep them, and profiles
 * only choose their notifications. An evaluation error is logged and never fails the request.
 * The profiles can be replaced while it runs (SIGHUP): a request is evaluated wholly by the set it started with.
 */
export class ProfileRunner {
  #profiles: readonly Profile[];

  constructor(
    profiles: readonly Profile[],
    private readonly log?: Logger,
  ) {
    this.#profiles = profiles;
  }

  get profiles(): readonly Profile[] {
    return this.#profiles;
  }

  /** Profiles for the requests that start from now on; those under way finish with the previous ones. */
  replace(profiles: readonly Profile[]): void {
    this.#profiles = profiles;
  }

  async apply(db: Db, alerts: NewAlert[], now: number): Promise<ProfileOutcome> {
    const profiles = this.#profiles;
    const history = new Map<string, DecisionHistoryItem[]>();
    const outcome: ProfileOutcome = { notify: [], matchedBy: [] };
    for (const alert of alerts) {
      for (let attempt = 0; ; attempt++) {
        try {
          const r = this.evaluate(profiles, alert, history, now);
          outcome.notify.push(r.notify);
          outcome.matchedBy.push(r.matchedBy);
          if (r.decisions) alert.decisions = r.decisions;
          break;
        } catch (err) {
          const need = needOf(err);
          if (!need || attempt > 8) throw err;
          history.set(need.value, await decisionHistory(db, need.value, ipOrRangeOrNull(need.value)));
        }
      }
      // later alerts of the same request count these decisions too
      for (const d of alert.decisions) history.get(d.value)?.push({ createdAt: now, until: d.until, simulated: d.simulated });
    }
    return outcome;
  }

  private evaluate(profiles: readonly Profile[], alert: NewAlert, history: Map<string, DecisionHistoryItem[]>, now: number) {
    const hadDecisions = alert.decisions.length > 0;
    const env = { ...alertEnv(alert), ...helpers(history, now) };
    let decisions: NewDecision[] | null = null;
    const notify: string[] = [];
    let matchedBy: string | null = null;
    for (const p of profiles) {
      let matched = false;
      let failed = false;
      for (const f of p.filters) {
        try {
          if (runBool(f.expr, env)) matched = true;
        } catch (err) {
          if (needOf(err)) throw err;
          failed = true;
          this.log?.warn({ profile: p.name, filter: f.source, err: (err as Error).message }, 'profile filter failed');
          break;
        }
      }
      if (failed) {
        if (p.onError === 'apply') matched = true;
        else if (p.onError === 'break') break;
        else continue;
      }
      if (p.debug) this.log?.info({ profile: p.name, matched, scenario: alert.scenario }, 'profile evaluated');
      if (!matched) continue;
      if (!hadDecisions && decisions === null && p.decisions.length > 0) {
        decisions = this.decisionsFor(p, alert, env);
        matchedBy = p.name;
      }
      notify.push(...p.notifications);
      if (p.onSuccess === 'break') break;
    }
    return { decisions, notify, matchedBy };
  }

  private decisionsFor(p: Profile, alert: NewAlert, env: Record<string, unknown>): NewDecision[] {
    let exprMs: number | undefined;
    if (p.durationExpr) {
      try {
        const out = p.durationExpr.expr.run(env);
        exprMs = parseDuration(String(out));
      } catch (err) {
        if (needOf(err)) throw err;
        if (!(err instanceof ExprRuntimeError || err instanceof DurationError)) throw err;
        this.log?.warn({ profile: p.name, err: err.message }, 'duration_expr failed, using the profile duration');
      }
    }
    const out: NewDecision[] = [];
    for (const t of p.decisions) {
      const scope = normalizeScope(t.scope || alert.source.scope);
      const value = alert.source.value;
      let range: IpRange | null = null;
      if (isIpScope(scope)) {
        range = ipOrRangeOrNull(value);
        if (!range) {
          this.log?.warn({ profile: p.name, value }, 'profile decision skipped: the source value is not an IP or range');
          continue;
        }
      }
      const durationMs = exprMs !== undefined && exprMs > 0 ? exprMs : t.durationMs;
      out.push({
        type: t.type,
        scope,
        value,
        origin: t.origin ? `crowdsec/${t.origin}` : 'crowdsec',
        scenario: alert.scenario,
        until: Math.round(alert.stoppedAt + durationMs),
        simulated: alert.simulated || t.simulated,
        range,
      });
    }
    return out;
  }
}

/** The database helpers profiles call, answered from decisions fetched before evaluation. */
function helpers(history: Map<string, DecisionHistoryItem[]>, now: number) {
  const of = (value: unknown): DecisionHistoryItem[] => {
    const v = String(value);
    const h = history.get(v);
    if (!h) throw new NeedHistory(v);
    return h;
  };
  return {
    GetDecisionsCount: (value: unknown) => of(value).length,
    GetDecisionsSinceCount: (value: unknown, since: unknown) => {
      const from = now - parseDuration(String(since));
      return of(value).filter((d) => d.createdAt >= from).length;
    },
    GetActiveDecisionsCount: (value: unknown) => of(value).filter((d) => d.until > now).length,
    // upstream returns the remaining time unrounded (its wire durations are rounded, this helper's is not):
    // to the millisecond here, Lapis's clock resolution, `0s` without an active decision
    GetActiveDecisionsTimeLeft: (value: unknown) => formatGoDuration(Math.max(0, ...of(value).map((d) => d.until - now))),
  };
}
