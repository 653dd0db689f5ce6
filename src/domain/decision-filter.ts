import type { Decision } from './decision.js';
import { ipv4Range, parseCidr, parseIPv4Number, parseIp, rangeContains, type IpRange } from './ip-range.js';
import { normalizeScope } from './scope.js';
import { InvalidValueError, withField } from '../errors.js';

/** A search parameter that is unknown or does not parse; `field` is the parameter's name. */
export class FilterError extends InvalidValueError {
  override name = 'FilterError';
}

/** FilterError `KEY: WHY`, the shape of every bad-value message of both filters. */
export function badParam(key: string, why: string): FilterError {
  return new FilterError(`${key}: ${why}`, { field: key });
}

/** What a bouncer asks for, in query or stream mode (as pkg/apiserver/controllers/v1/decisions.go and pkg/database/decisions.go). */
export interface DecisionFilter {
  /** Scope IN list (normalised). Both `scope` and `scopes` constrain when both are given, as upstream. */
  scopeSets: ReadonlySet<string>[];
  value?: string;
  type?: string;
  origins?: ReadonlySet<string>;
  scenariosContaining?: readonly string[];
  scenariosNotContaining?: readonly string[];
  includeSimulated: boolean;
  range?: IpRange;
  /**
   * `ip=` when it is a plain IPv4 address, as a number: the index looks it up without `range`, which is then
   * built only if something reads it (query mode on the hot path allocates no BigInt).
   */
  ipv4?: number;
  /** true: the decision contains the queried range; false: the decision lies inside it. */
  contains: boolean;
  /** Who is asking, when that narrows what it is served: the blocklists that reach it (engine/blocklist-audience.ts). */
  audience?: (d: DecisionAttributes) => boolean;
}

type Query = Record<string, string | string[] | undefined>;

function one(q: Query, key: string): string | undefined {
  const v = q[key];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function list(text: string | undefined): string[] | undefined {
  if (text === undefined || text === '') return undefined;
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `contains` as Go's strconv.ParseBool. */
export function parseBool(key: string, text: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw badParam(key, `invalid boolean '${text}'`);
}

/** Parses `ip=`/`range=`; throws an IpParseError naming the parameter. */
export function parseRangeParam(key: 'ip' | 'range', text: string): IpRange {
  return withField(key, () => (key === 'ip' && !text.includes('/') ? parseIp(text) : text.includes('/') ? parseCidr(text) : parseIp(text)));
}

/**
 * Builds a filter from bouncer query parameters. Unknown parameters are ignored, as upstream;
 * malformed values are a FilterError or IpParseError naming the parameter. `defaultScopes` applies when `scopes` is absent.
 */
export function parseDecisionFilter(q: Query, defaultScopes?: string[]): DecisionFilter {
  const scopeSets: Set<string>[] = [];
  const scopes = list(one(q, 'scopes')) ?? defaultScopes;
  if (scopes) scopeSets.push(new Set(scopes.map(normalizeScope)));
  const scope = list(one(q, 'scope'));
  if (scope) scopeSets.push(new Set(scope.map(normalizeScope)));
  const filter: DecisionFilter = {
    scopeSets,
    includeSimulated: one(q, 'simulated') !== undefined && one(q, 'simulated') !== 'false',
    contains: true,
  };
  const value = one(q, 'value');
  if (value) filter.value = value;
  const type = one(q, 'type');
  if (type) filter.type = type;
  const origins = list(one(q, 'origins'));
  if (origins) filter.origins = new Set(origins);
  const yes = list(one(q, 'scenarios_containing'));
  if (yes) filter.scenariosContaining = yes.map((s) => s.toLowerCase());
  const no = list(one(q, 'scenarios_not_containing'));
  if (no) filter.scenariosNotContaining = no.map((s) => s.toLowerCase());
  const contains = one(q, 'contains');
  if (contains !== undefined && contains !== '') filter.contains = parseBool('contains', contains);
  const ip = one(q, 'ip');
  const range = one(q, 'range');
  if (ip) {
    const n = parseIPv4Number(ip);
    if (n < 0) filter.range = parseRangeParam('ip', ip);
    else {
      filter.ipv4 = n;
      let r: IpRange | undefined;
      Object.defineProperty(filter, 'range', { enumerable: true, get: () => (r ??= ipv4Range(n)) });
    }
  } else if (range) filter.range = parseRangeParam('range', range);
  return filter;
}

/** The attributes decisions share, which the index interns (engine/compact/tuples.ts). */
export interface DecisionAttributes {
  readonly simulated: boolean;
  readonly scope: string;
  readonly type: string;
  readonly origin: string;
  readonly scenario: string;
}

/** Whether a decision passes every part of the filter but the IP part, which the index resolves. */
export function matchesAttributes(f: DecisionFilter, d: Decision): boolean {
  return (f.value === undefined || d.value === f.value) && matchesShared(f, d);
}

/** Whether the shared attributes pass the filter: all of it but the value and the IP part. */
export function matchesShared(f: DecisionFilter, d: DecisionAttributes): boolean {
  if (!f.includeSimulated && d.simulated) return false;
  for (const set of f.scopeSets) if (!set.has(d.scope)) return false;
  if (f.type !== undefined && d.type !== f.type) return false;
  if (f.origins && !f.origins.has(d.origin)) return false;
  if (f.scenariosContaining || f.scenariosNotContaining) {
    const s = d.scenario.toLowerCase();
    if (f.scenariosContaining && !f.scenariosContaining.some((w) => s.includes(w))) return false;
    if (f.scenariosNotContaining?.some((w) => s.includes(w))) return false;
  }
  return f.audience === undefined || f.audience(d);
}

/** The whole filter, IP part included (a linear check; the index avoids it for lookups). */
export function matchesFilter(f: DecisionFilter, d: Decision): boolean {
  if (!matchesAttributes(f, d)) return false;
  if (!f.range) return true;
  if (!d.range) return false;
  return f.contains ? rangeContains(d.range, f.range) : rangeContains(f.range, d.range);
}

/** `DELETE /v1/decisions` filters (as pkg/database/decisions.go): exact matches, `scopes` not normalised, as upstream. */
export interface DecisionDeleteFilter {
  scope?: string;
  value?: string;
  type?: string;
  origin?: string;
  scenario?: string;
  uuids?: string[];
  range?: IpRange;
  contains: boolean;
}

const DELETE_KEYS = new Set(['scopes', 'value', 'type', 'origin', 'scenario', 'uuid', 'ip', 'range', 'contains']);

/** Unknown parameters are a FilterError (upstream: a 500 `'foo' doesn't exist: invalid filter`). */
export function parseDecisionDeleteFilter(q: Query): DecisionDeleteFilter {
  const f: DecisionDeleteFilter = { contains: true };
  for (const [key, raw] of Object.entries(q)) {
    if (raw === undefined) continue;
    if (!DELETE_KEYS.has(key)) throw new FilterError(`'${key}' doesn't exist: invalid filter`, { field: key });
    const v = one(q, key)!;
    switch (key) {
      case 'scopes':
        f.scope = v;
        break;
      case 'value':
        f.value = v;
        break;
      case 'type':
        f.type = v;
        break;
      case 'origin':
        f.origin = v;
        break;
      case 'scenario':
        f.scenario = v;
        break;
      case 'uuid':
        f.uuids = [raw].flat();
        break;
      case 'ip':
        if (v) f.range = parseRangeParam('ip', v);
        break;
      case 'range':
        if (v) f.range = parseRangeParam('range', v);
        break;
      case 'contains':
        if (v) f.contains = parseBool('contains', v);
        break;
    }
  }
  return f;
}
