import { Type, type Static } from '@sinclair/typebox';
import { truncateMeta, type AlertEvent, type NewAlert, type NewDecision } from '../../domain/alert.js';
import { parseDuration } from '../../domain/duration.js';
import { parseIpOrRange } from '../../domain/ip-range.js';
import { isIpScope, normalizeScope } from '../../domain/scope.js';
import { BadRequestError, withField } from '../../errors.js';
import { parseBody } from '../validate.js';
import { EMPTY_BODY } from '../body.js';

/**
 * Strings stored in a key column (varchar(255) on MySQL, where a longer one is an error, not a cut):
 * bounded on every engine, so that what one accepts the others do too.
 */
const Key = Type.String({ maxLength: 255 });

/** events_count and capacity are int4 columns (int32 in the swagger): past it, PostgreSQL and MySQL refuse the row. */
const Int32 = Type.Integer({ minimum: -2147483648, maximum: 2147483647 });

const Meta = Type.Array(Type.Object({ key: Type.Optional(Type.String()), value: Type.Optional(Type.String()) }));

const DecisionIn = Type.Object({
  origin: Key,
  type: Key,
  scope: Key,
  value: Key,
  duration: Type.String(),
  scenario: Key,
  simulated: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  until: Type.Optional(Type.Unknown()),
  id: Type.Optional(Type.Unknown()),
  uuid: Type.Optional(Type.Unknown()),
});

const SourceIn = Type.Object({
  scope: Key,
  value: Key,
  ip: Type.Optional(Key),
  range: Type.Optional(Key),
  as_number: Type.Optional(Key),
  as_name: Type.Optional(Key),
  cn: Type.Optional(Key),
  // stored as float4 (PostgreSQL's real): a value past the globe is a 400 here rather than an overflow there
  latitude: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
  longitude: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
});

/** The swagger's Alert, as agents and cscli send it (pkg/models/localapi_swagger.yaml). */
export const AlertIn = Type.Object({
  scenario: Key,
  scenario_hash: Key,
  scenario_version: Key,
  message: Type.String(),
  events_count: Int32,
  start_at: Type.String(),
  stop_at: Type.String(),
  capacity: Int32,
  leakspeed: Key,
  simulated: Type.Boolean(),
  events: Type.Array(Type.Object({ timestamp: Type.String(), meta: Meta })),
  remediation: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  decisions: Type.Optional(Type.Union([Type.Array(DecisionIn), Type.Null()])),
  source: SourceIn,
  meta: Type.Optional(Type.Union([Meta, Type.Null()])),
  labels: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
  kind: Type.Optional(Type.Union([Key, Type.Null()])),
});
export const AlertsIn = Type.Array(AlertIn);
export type AlertInput = Static<typeof AlertIn>;

/** float4 underflow: PostgreSQL refuses a non-zero value too small for its `real`; a coordinate that small is 0. */
const coordinate = (v: number | undefined) => (v === undefined || Math.abs(v) < 1e-37 ? 0 : v);

/** RFC 3339 → epoch ms; unparsable → `fallback`, as upstream. */
function parseTime(text: string, fallback: number): number {
  const t = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(t) ? fallback : t;
}

function toDecision(path: string, d: Static<typeof DecisionIn>, stopAt: number, simulated: boolean): NewDecision {
  const durationMs = withField(`${path}.duration`, () => parseDuration(d.duration));
  if (durationMs <= 0) throw new BadRequestError(`${path}.duration: must be positive, got '${d.duration}'`);
  const scope = normalizeScope(d.scope);
  const range = isIpScope(scope) ? withField(`${path}.value`, () => parseIpOrRange(d.value)) : null;
  return {
    type: d.type,
    scope,
    value: d.value,
    origin: d.origin,
    scenario: d.scenario,
    until: Math.round(stopAt + durationMs),
    // as upstream, a decision is simulated when its alert is
    simulated,
    range,
  };
}

/**
 * Validates and normalises a `POST /v1/alerts` body. All-or-nothing: any problem is a 400 naming the
 * field (`0.decisions.1.duration: …`), where upstream answers 500 or drops the decision silently.
 */
export function parseAlerts(body: unknown, now: number): NewAlert[] {
  const present = body !== undefined && body !== EMPTY_BODY;
  if (present && !Array.isArray(body)) throw new BadRequestError('the body must be a JSON array of alerts');
  return parseBody(AlertsIn, body, 400).map((a, i) => {
    const stoppedAt = parseTime(a.stop_at, now);
    const events: AlertEvent[] = a.events.map((e) => ({
      timestamp: parseTime(e.timestamp, now),
      meta: truncateMeta(e.meta.map((m) => ({ key: m.key ?? '', value: m.value ?? '' }))),
    }));
    return {
      scenario: a.scenario,
      scenarioHash: a.scenario_hash,
      scenarioVersion: a.scenario_version,
      message: a.message,
      eventsCount: a.events_count,
      startedAt: parseTime(a.start_at, now),
      stoppedAt,
      capacity: a.capacity,
      leakspeed: a.leakspeed,
      simulated: a.simulated,
      remediation: a.remediation === true,
      kind: a.kind ?? '',
      source: {
        scope: normalizeScope(a.source.scope),
        value: a.source.value,
        ip: a.source.ip ?? '',
        range: a.source.range ?? '',
        asNumber: a.source.as_number ?? '',
        asName: a.source.as_name ?? '',
        country: a.source.cn ?? '',
        latitude: coordinate(a.source.latitude),
        longitude: coordinate(a.source.longitude),
      },
      events,
      meta: truncateMeta((a.meta ?? []).map((m) => ({ key: m.key ?? '', value: m.value ?? '' }))),
      labels: a.labels ?? null,
      decisions: (a.decisions ?? []).map((d, j) => toDecision(`${i}.decisions.${j}`, d, stoppedAt, a.simulated)),
    };
  });
}

// What the alert routes answer (api/wire.ts alertWire): closed objects, so that a key the wire adds must be documented.
const closed = { additionalProperties: false } as const;
const MetaOut = Type.Array(Type.Object({ key: Type.Optional(Type.String()), value: Type.Optional(Type.String()) }, closed));
const AlertDecisionOut = Type.Object(
  {
    duration: Type.String({ description: 'Time left, as a Go duration (negative once expired).' }),
    id: Type.Integer(),
    origin: Type.String(),
    scenario: Type.String(),
    scope: Type.String(),
    simulated: Type.Boolean(),
    type: Type.String(),
    value: Type.String(),
  },
  closed,
);

/** An alert as `GET /v1/alerts` and `GET /v1/alerts/{id}` answer it (empty source fields and meta left out, as upstream). */
export const AlertOut = Type.Object(
  {
    capacity: Type.Integer(),
    created_at: Type.String({ description: 'RFC 3339.' }),
    decisions: Type.Union([Type.Array(AlertDecisionOut), Type.Null()]),
    events: Type.Union([Type.Array(Type.Object({ meta: MetaOut, timestamp: Type.String() }, closed)), Type.Null()]),
    events_count: Type.Integer(),
    id: Type.Integer(),
    kind: Type.Optional(Type.String()),
    labels: Type.Union([Type.Array(Type.String()), Type.Null()]),
    leakspeed: Type.String(),
    machine_id: Type.String({ description: 'The machine that pushed it, `N/A` when it is gone.' }),
    message: Type.String(),
    meta: Type.Optional(MetaOut),
    remediation: Type.Optional(Type.Literal(true)),
    scenario: Type.String(),
    scenario_hash: Type.String(),
    scenario_version: Type.String(),
    simulated: Type.Boolean(),
    source: Type.Object(
      {
        as_name: Type.Optional(Type.String()),
        as_number: Type.Optional(Type.String()),
        cn: Type.Optional(Type.String()),
        ip: Type.Optional(Type.String()),
        latitude: Type.Optional(Type.Number()),
        longitude: Type.Optional(Type.Number()),
        range: Type.Optional(Type.String()),
        scope: Type.String(),
        value: Type.String(),
      },
      closed,
    ),
    start_at: Type.String(),
    stop_at: Type.String(),
    uuid: Type.String(),
  },
  closed,
);

const param = (description: string) => Type.String({ description });

/** The alert filters (domain/alert-filter.ts parseAlertFilter): any other key is a 400. */
export const AlertQuery = Type.Object({
  scope: Type.Optional(param('The source scope (`ip`/`range` in any case).')),
  value: Type.Optional(param('The source value.')),
  scenario: Type.Optional(param('The scenario.')),
  ip: Type.Optional(param('An IP address: alerts whose source covers it (see `contains`).')),
  range: Type.Optional(param('A CIDR range: alerts whose source covers it, or is inside it with `contains=false`.')),
  contains: Type.Optional(param('A Go boolean (default true).')),
  since: Type.Optional(param('A Go duration: alerts started less than this long ago.')),
  until: Type.Optional(param('A Go duration: alerts started more than this long ago.')),
  created_before: Type.Optional(param('A Go duration: alerts created more than this long ago.')),
  decision_type: Type.Optional(param('Alerts with a decision of this type.')),
  origin: Type.Optional(param('Alerts with a decision of this origin (implies `include_capi`).')),
  include_capi: Type.Optional(param('`false`: leave out the alerts of the Central API (`true` or `false`).')),
  has_active_decision: Type.Optional(param('A Go boolean: alerts with (or without) a decision still in force.')),
  simulated: Type.Optional(param('`false`: leave out simulated alerts.')),
  kind: Type.Optional(param('The alert kind.')),
  limit: Type.Optional(param('How many alerts at most (default 100; 0: no limit).')),
  sort: Type.Optional(param('`ASC` or `DESC` (default), by id.')),
  with_decisions: Type.Optional(param("A Go boolean (default true): include each alert's decisions.")),
});
