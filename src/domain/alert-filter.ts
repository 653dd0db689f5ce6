import { DurationError, parseDuration } from './duration.js';
import { badParam, FilterError, parseBool, parseRangeParam } from './decision-filter.js';
import type { IpRange } from './ip-range.js';

/** An alert search or deletion (as pkg/database/alerts.go AlertPredicatesFromFilter), parsed. Durations are relative to `now`. */
export interface AlertFilter {
  scope?: string;
  value?: string;
  scenario?: string;
  range?: IpRange;
  contains: boolean;
  /** started_at >= this */
  startedAfter?: number;
  /** started_at <= this */
  startedBefore?: number;
  createdBefore?: number;
  decisionType?: string;
  origin?: string;
  /** false: leave out CAPI and blocklist alerts. */
  includeCapi?: boolean;
  hasActiveDecision?: boolean;
  /** false: leave out simulated alerts. */
  simulated?: boolean;
  kind?: string;
  /** 0 = no limit. */
  limit: number;
  sort: 'ASC' | 'DESC';
  withDecisions: boolean;
}

/** The largest `limit` taken; 0 is already "no limit", so nothing is lost. */
const MAX_LIMIT = 2147483647;

const KNOWN = new Set([
  'scope',
  'value',
  'scenario',
  'ip',
  'range',
  'contains',
  'since',
  'until',
  'created_before',
  'decision_type',
  'origin',
  'include_capi',
  'has_active_decision',
  'simulated',
  'kind',
  'limit',
  'sort',
  'with_decisions',
]);

/** Go durations reach nanoseconds; the columns hold whole milliseconds (PostgreSQL refuses to compare a bigint with 1.5). */
function ago(key: string, text: string, now: number): number {
  try {
    return Math.round(now - parseDuration(text));
  } catch (err) {
    if (err instanceof DurationError) throw badParam(key, `while parsing duration: ${err.message}`);
    throw err;
  }
}

/** Parses alert-search parameters. Unknown parameters and malformed values are a FilterError naming the parameter. */
export function parseAlertFilter(q: Record<string, string | string[] | undefined>, now: number): AlertFilter {
  const f: AlertFilter = { contains: true, limit: 100, sort: 'DESC', withDecisions: true };
  for (const [key, raw] of Object.entries(q)) {
    if (raw === undefined) continue;
    const v = Array.isArray(raw) ? raw[raw.length - 1]! : raw;
    if (!KNOWN.has(key)) throw new FilterError(`filter parameter '${key}' is unknown (=${v})`, { field: key });
    if (v === '' && key !== 'value') continue;
    switch (key) {
      case 'scope':
        f.scope = /^(ip|range)$/i.test(v) ? (v.toLowerCase() === 'ip' ? 'Ip' : 'Range') : v;
        break;
      case 'value':
        f.value = v;
        break;
      case 'scenario':
        f.scenario = v;
        break;
      case 'ip':
        f.range = parseRangeParam('ip', v);
        break;
      case 'range':
        f.range = parseRangeParam('range', v);
        break;
      case 'contains':
        f.contains = parseBool('contains', v);
        break;
      case 'since':
        f.startedAfter = ago('since', v, now);
        break;
      case 'until':
        f.startedBefore = ago('until', v, now);
        break;
      case 'created_before':
        f.createdBefore = ago('created_before', v, now);
        break;
      case 'decision_type':
        f.decisionType = v;
        break;
      case 'origin':
        f.origin = v;
        f.includeCapi = true;
        break;
      case 'include_capi':
        if (v === 'false') f.includeCapi = false;
        else if (v !== 'true') throw badParam('include_capi', `invalid boolean '${v}'`);
        break;
      case 'has_active_decision':
        f.hasActiveDecision = parseBool('has_active_decision', v);
        break;
      case 'simulated':
        if (v === 'false') f.simulated = false;
        break;
      case 'kind':
        f.kind = v;
        break;
      case 'limit':
        if (!/^\d+$/.test(v)) throw badParam('limit', `invalid integer '${v}'`);
        // a bound every engine's LIMIT takes (20 digits are past int64 and a 500 on each of them)
        f.limit = Number(v);
        if (f.limit > MAX_LIMIT) throw badParam('limit', `must be an integer between 0 and ${MAX_LIMIT}, got '${v}'`);
        break;
      case 'sort':
        if (v !== 'ASC' && v !== 'DESC') throw badParam('sort', `must be ASC or DESC, got '${v}'`);
        f.sort = v;
        break;
      case 'with_decisions':
        f.withDecisions = parseBool('with_decisions', v);
        break;
    }
  }
  if (f.origin !== undefined) f.includeCapi = true;
  return f;
}
