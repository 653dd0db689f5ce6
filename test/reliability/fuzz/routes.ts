import fc from 'fast-check';
import { ALERT_REQUIRED_KEYS } from '../../helpers/fixture-alerts.js';
import type { FuzzRequest } from './client.js';
import {
  body,
  DATES,
  DURATIONS,
  hostileNumber,
  hostileString,
  longString,
  NUL_TEXTS,
  query,
  queryValue as v,
  SCOPES,
  segment,
  type QueryKinds,
} from './values.js';
import { CREDS } from './target.js';

/**
 * Every route of the Local API and of the admin API, each with generators for hostile requests: its
 * query, path segments, body and credentials. What the generators must never produce, because a
 * legitimate request could then change the decisions the run checks at the end (see fuzz.test.ts):
 * the organization id (an org-wide allowlist ends decisions), the verifier bouncer's key, a known
 * alert or decision id in a deletion, and a deletion filter without the guard appended last.
 */
export interface FuzzState {
  /** A machine token; renewed when a fuzzed request unregisters the machine (its token dies with it). */
  token: string;
  /** Allowlist ids and item ids that exist (or existed): generators pick from them. */
  listIds: string[];
  itemIds: string[];
  /** Alert and decision ids seeded before the run: never deleted by id. */
  knownMaxId: number;
}

type Auth = 'machine' | 'bouncer' | 'admin' | 'none' | 'either';

export interface Route {
  name: string;
  listener: 'lapi' | 'admin';
  methods: readonly string[];
  auth: Auth;
  /** Path with `:params`. */
  path: string;
  params?: Record<string, fc.Arbitrary<string>>;
  query?: fc.Arbitrary<string>;
  body?: fc.Arbitrary<string>;
  /** Appended last to the query of a deletion with valid credentials: what keeps the known set out of reach. */
  guard?: string;
}

const hex24 = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 24, maxLength: 24 });
const pick = <T>(xs: () => readonly T[], fallback: T) => fc.nat().map((n) => (xs().length === 0 ? fallback : xs()[n % xs().length]!));

const ip = fc.oneof(fc.ipV4(), fc.ipV6());
const cidr = fc
  .oneof(fc.tuple(fc.ipV4(), fc.integer({ min: 8, max: 32 })), fc.tuple(fc.ipV6(), fc.integer({ min: 16, max: 128 })))
  .map(([a, n]) => `${a}/${n}`);
const ipOrRange = fc.oneof(ip, cidr);
const word = fc.stringMatching(/^[a-z][a-z0-9_-]{0,15}$/);
/** A name or label: short mostly, sometimes longer than any column. */
const text = fc.oneof(
  { arbitrary: word, weight: 12 },
  { arbitrary: longString, weight: 1 },
  ...NUL_TEXTS.map((t) => ({ arbitrary: fc.constant(t), weight: 1 })),
);
const scope = fc.constantFrom(...SCOPES);
const duration = fc.oneof(fc.constantFrom('4h', '1m', '30s', '1d', '2h30m'), fc.constantFrom(...DURATIONS));
const isoNow = fc.integer({ min: -86_400_000, max: 86_400_000 }).map((d) => new Date(Date.now() + d).toISOString());
const date = fc.oneof(isoNow, fc.constantFrom(...DATES));
const int = fc.oneof(fc.integer({ min: 0, max: 1000 }), hostileNumber);

const meta = fc.array(fc.record({ key: word, value: fc.string({ maxLength: 20 }) }), { maxLength: 3 });
const decision = fc.record({
  duration,
  origin: fc.constantFrom('cscli', 'crowdsec', 'CAPI', 'lists'),
  scenario: text,
  scope,
  type: fc.oneof(fc.constantFrom('ban', 'captcha', 'throttle'), text),
  value: ipOrRange,
});
const alert = fc.record(
  {
    capacity: int,
    decisions: fc.oneof(fc.constant(null), fc.array(decision, { maxLength: 3 })),
    events: fc.array(fc.record({ meta, timestamp: date }), { maxLength: 3 }),
    events_count: int,
    kind: fc.oneof(fc.constantFrom('crowdsec', 'cscli', 'waf'), text),
    labels: fc.oneof(fc.constant(null), fc.array(word, { maxLength: 2 })),
    leakspeed: duration,
    message: fc.string({ maxLength: 40 }),
    meta,
    remediation: fc.boolean(),
    scenario: text,
    scenario_hash: fc.string({ maxLength: 10 }),
    scenario_version: fc.constantFrom('0.1', ''),
    simulated: fc.boolean(),
    source: fc.record(
      {
        scope,
        value: ipOrRange,
        ip,
        range: cidr,
        as_number: fc.string({ maxLength: 6 }),
        as_name: text,
        cn: fc.constantFrom('FR', 'US', ''),
        latitude: fc.double({ min: -90, max: 90, noNaN: true }),
        longitude: fc.double({ min: -180, max: 180, noNaN: true }),
      },
      { requiredKeys: ['scope', 'value'] },
    ),
    start_at: date,
    stop_at: date,
  },
  { requiredKeys: [...ALERT_REQUIRED_KEYS] },
);
const window = fc.record({
  meta: fc.record({ window_size_seconds: int, utc_now_timestamp: int }),
  items: fc.array(
    fc.record({
      name: text,
      unit: word,
      value: fc.double({ noNaN: true, noDefaultInfinity: true }),
      labels: fc.dictionary(text, text, { maxKeys: 3 }),
    }),
    { maxLength: 4 },
  ),
});
const base = {
  version: fc.oneof(fc.constantFrom('v1.7.8', 'v0.0.31', ''), text),
  os: fc.record({ name: text, family: word, version: word }),
  feature_flags: fc.array(word, { maxLength: 3 }),
  utc_startup_timestamp: int,
  metrics: fc.array(window, { maxLength: 2 }),
};
const rc = fc.record({ ...base, type: text, name: word, last_pull: int });
const lp = fc.record({
  ...base,
  hub_items: fc.dictionary(word, fc.array(fc.record({ name: word, status: word, version: word }), { maxLength: 3 }), { maxKeys: 3 }),
  datasources: fc.dictionary(word, int, { maxKeys: 3 }),
  name: word,
  last_push: int,
});
const usage = fc.oneof(
  fc.record({ remediation_components: fc.array(rc, { minLength: 1, maxLength: 2 }) }),
  fc.record({ log_processors: fc.array(lp, { minLength: 1, maxLength: 2 }) }),
  fc.record({ remediation_components: fc.array(rc, { maxLength: 1 }), log_processors: fc.array(lp, { maxLength: 1 }) }),
);

const ALERT_KEYS: QueryKinds = {
  scope: v.scope,
  value: v.ip,
  scenario: v.text,
  ip: v.ip,
  range: v.ip,
  contains: v.bool,
  since: v.duration,
  until: v.duration,
  created_before: v.duration,
  decision_type: v.text,
  origin: v.text,
  include_capi: v.bool,
  has_active_decision: v.bool,
  simulated: v.bool,
  kind: v.text,
  limit: v.int,
  sort: v.text,
  with_decisions: v.bool,
};
const DECISION_KEYS: QueryKinds = {
  scope: v.scope,
  scopes: v.scope,
  value: v.ip,
  type: v.text,
  ip: v.ip,
  range: v.ip,
  contains: v.bool,
  origins: v.text,
  scenarios_containing: v.text,
  scenarios_not_containing: v.text,
  simulated: v.bool,
  limit: v.int,
  offset: v.int,
  id_gt: v.int,
  startup: v.bool,
};
const DELETE_KEYS: QueryKinds = {
  scopes: v.scope,
  value: v.ip,
  type: v.text,
  origin: v.text,
  scenario: v.text,
  uuid: v.text,
  ip: v.ip,
  range: v.ip,
  contains: v.bool,
};
const PAGE_KEYS: QueryKinds = { page: v.int, size: v.int };
const ANY: QueryKinds = { x: v.text };

/** The route table; `state` is read when a request is generated (ids come and go during the run). */
export function routes(state: FuzzState): Route[] {
  const listId = fc.oneof({ arbitrary: pick(() => state.listIds, 'none'), weight: 3 }, { arbitrary: segment(hex24), weight: 1 });
  const itemId = fc.oneof({ arbitrary: pick(() => state.itemIds, 'none'), weight: 2 }, { arbitrary: segment(hex24), weight: 1 });
  const numericId = segment(
    fc.oneof(fc.integer({ min: 1, max: 5000 }).map(String), fc.constantFrom('0', '999999999999999', '1'.repeat(16))),
  );
  const items = fc.record(
    {
      items: fc.array(fc.oneof(ipOrRange, hostileString), { minLength: 1, maxLength: 5 }),
      description: fc.string({ maxLength: 30 }),
      expiration: fc.oneof(fc.constant(null), date),
    },
    { requiredKeys: ['items'] },
  );
  const entity = fc.oneof(fc.constantFrom(CREDS.machine, CREDS.bouncer, 'edge', 'tag-a'), text);
  const subscribe = fc.record({
    ids: fc.array(entity, { minLength: 1, maxLength: 3 }),
    entity_type: fc.constantFrom('engine', 'remediation_component_integration', 'tag', 'org', 'firewall_integration', 'planet'),
  });
  const login = fc.record(
    {
      machine_id: fc.oneof(fc.constant(CREDS.machine), word),
      password: fc.oneof(fc.constant(CREDS.password), fc.string({ maxLength: 80 })),
      scenarios: fc.array(word, { maxLength: 3 }),
    },
    { requiredKeys: ['machine_id', 'password'] },
  );
  const register = fc.record(
    { machine_id: word, password: fc.string({ minLength: 1, maxLength: 80 }), registration_token: fc.string({ maxLength: 40 }) },
    { requiredKeys: ['machine_id', 'password'] },
  );
  const alertQuery = query(ALERT_KEYS);
  // an unknown route must not land on a real deletion without its guard
  const unknown = segment(word).filter((s) => !/^(alerts|decisions|watchers|allowlists)$/i.test(s));

  return [
    { name: 'GET /health', listener: 'lapi', methods: ['GET', 'HEAD'], auth: 'none', path: '/health', query: query(ANY) },
    { name: 'POST /v1/watchers', listener: 'lapi', methods: ['POST'], auth: 'none', path: '/v1/watchers', body: body(register) },
    { name: 'POST /v1/watchers/login', listener: 'lapi', methods: ['POST'], auth: 'none', path: '/v1/watchers/login', body: body(login) },
    { name: 'GET /v1/refresh_token', listener: 'lapi', methods: ['GET'], auth: 'machine', path: '/v1/refresh_token' },
    { name: 'GET /v1/heartbeat', listener: 'lapi', methods: ['GET', 'HEAD'], auth: 'machine', path: '/v1/heartbeat', query: query(ANY) },
    { name: 'DELETE /v1/watchers/self', listener: 'lapi', methods: ['DELETE'], auth: 'machine', path: '/v1/watchers/self' },
    {
      name: 'POST /v1/alerts',
      listener: 'lapi',
      methods: ['POST'],
      auth: 'machine',
      path: '/v1/alerts',
      body: body(fc.array(alert, { minLength: 1, maxLength: 3 })),
    },
    { name: 'GET /v1/alerts', listener: 'lapi', methods: ['GET', 'HEAD'], auth: 'machine', path: '/v1/alerts', query: alertQuery },
    {
      name: 'GET /v1/alerts/:id',
      listener: 'lapi',
      methods: ['GET', 'HEAD'],
      auth: 'machine',
      path: '/v1/alerts/:id',
      params: { id: numericId },
    },
    {
      name: 'DELETE /v1/alerts',
      listener: 'lapi',
      methods: ['DELETE'],
      auth: 'machine',
      path: '/v1/alerts',
      query: alertQuery,
      guard: 'scenario=lapis-fuzz-guard',
    },
    {
      name: 'DELETE /v1/alerts/:id',
      listener: 'lapi',
      methods: ['DELETE'],
      auth: 'machine',
      path: '/v1/alerts/:id',
      params: { id: numericId },
    },
    {
      name: 'DELETE /v1/decisions',
      listener: 'lapi',
      methods: ['DELETE'],
      auth: 'machine',
      path: '/v1/decisions',
      query: query(DELETE_KEYS),
      guard: 'origin=lapis-fuzz-guard',
    },
    {
      name: 'DELETE /v1/decisions/:id',
      listener: 'lapi',
      methods: ['DELETE'],
      auth: 'machine',
      path: '/v1/decisions/:id',
      params: { id: numericId },
    },
    {
      name: 'GET /v1/decisions',
      listener: 'lapi',
      methods: ['GET', 'HEAD'],
      auth: 'bouncer',
      path: '/v1/decisions',
      query: query(DECISION_KEYS),
    },
    {
      name: 'GET /v1/decisions/stream',
      listener: 'lapi',
      methods: ['GET', 'HEAD'],
      auth: 'bouncer',
      path: '/v1/decisions/stream',
      query: query(DECISION_KEYS),
    },
    { name: 'POST /v1/usage-metrics', listener: 'lapi', methods: ['POST'], auth: 'either', path: '/v1/usage-metrics', body: body(usage) },
    {
      name: 'GET /v1/allowlists',
      listener: 'lapi',
      methods: ['GET'],
      auth: 'machine',
      path: '/v1/allowlists',
      query: query({ with_content: v.bool }),
    },
    {
      name: 'GET /v1/allowlists/:allowlist_name',
      listener: 'lapi',
      methods: ['GET', 'HEAD'],
      auth: 'machine',
      path: '/v1/allowlists/:allowlist_name',
      params: { allowlist_name: segment(fc.constantFrom('fuzz-list-0', 'fuzz-list-1', 'nope')) },
      query: query({ with_content: v.bool }),
    },
    {
      name: 'GET /v1/allowlists/check/:ip',
      listener: 'lapi',
      methods: ['GET', 'HEAD'],
      auth: 'machine',
      path: '/v1/allowlists/check/:ip',
      params: { ip: segment(ipOrRange) },
    },
    {
      name: 'POST /v1/allowlists/check',
      listener: 'lapi',
      methods: ['POST'],
      auth: 'machine',
      path: '/v1/allowlists/check',
      body: body(fc.record({ targets: fc.array(ipOrRange, { maxLength: 5 }) })),
    },
    {
      name: 'unknown routes (LAPI)',
      listener: 'lapi',
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'PROPFIND'],
      auth: 'either',
      path: '/:a/:b',
      params: { a: segment(fc.constantFrom('v1', 'v2', 'health', '')), b: unknown },
      body: body(fc.jsonValue({ maxDepth: 2 })),
    },

    {
      name: 'admin POST /v1/allowlists',
      listener: 'admin',
      methods: ['POST'],
      auth: 'admin',
      path: '/v1/allowlists',
      body: body(fc.record({ name: text, description: fc.oneof(fc.string({ maxLength: 30 }), longString) }, { requiredKeys: ['name'] })),
    },
    {
      name: 'admin GET /v1/allowlists',
      listener: 'admin',
      methods: ['GET'],
      auth: 'admin',
      path: '/v1/allowlists',
      query: query(PAGE_KEYS),
    },
    {
      name: 'admin GET /v1/allowlists/:id',
      listener: 'admin',
      methods: ['GET'],
      auth: 'admin',
      path: '/v1/allowlists/:id',
      params: { id: listId },
    },
    {
      name: 'admin PATCH /v1/allowlists/:id',
      listener: 'admin',
      methods: ['PATCH'],
      auth: 'admin',
      path: '/v1/allowlists/:id',
      params: { id: listId },
      body: body(fc.record({ name: text, description: fc.oneof(fc.string({ maxLength: 30 }), longString) }, { requiredKeys: [] })),
    },
    {
      name: 'admin DELETE /v1/allowlists/:id',
      listener: 'admin',
      methods: ['DELETE'],
      auth: 'admin',
      path: '/v1/allowlists/:id',
      params: { id: listId },
      query: query({ force: v.bool }),
    },
    {
      name: 'admin POST /v1/allowlists/:id/items',
      listener: 'admin',
      methods: ['POST'],
      auth: 'admin',
      path: '/v1/allowlists/:id/items',
      params: { id: listId },
      body: body(items),
    },
    {
      name: 'admin GET /v1/allowlists/:id/items',
      listener: 'admin',
      methods: ['GET'],
      auth: 'admin',
      path: '/v1/allowlists/:id/items',
      params: { id: listId },
      query: query(PAGE_KEYS),
    },
    {
      name: 'admin GET /v1/allowlists/:id/items/:item',
      listener: 'admin',
      methods: ['GET'],
      auth: 'admin',
      path: '/v1/allowlists/:id/items/:item',
      params: { id: listId, item: itemId },
    },
    {
      name: 'admin PATCH /v1/allowlists/:id/items/:item',
      listener: 'admin',
      methods: ['PATCH'],
      auth: 'admin',
      path: '/v1/allowlists/:id/items/:item',
      params: { id: listId, item: itemId },
      body: body(
        fc.record({ description: fc.string({ maxLength: 30 }), expiration: fc.oneof(fc.constant(null), date) }, { requiredKeys: [] }),
      ),
    },
    {
      name: 'admin DELETE /v1/allowlists/:id/items/:item',
      listener: 'admin',
      methods: ['DELETE'],
      auth: 'admin',
      path: '/v1/allowlists/:id/items/:item',
      params: { id: listId, item: itemId },
    },
    {
      name: 'admin GET /v1/allowlists/:id/subscribers',
      listener: 'admin',
      methods: ['GET'],
      auth: 'admin',
      path: '/v1/allowlists/:id/subscribers',
      params: { id: listId },
      query: query(PAGE_KEYS),
    },
    {
      name: 'admin POST /v1/allowlists/:id/subscribers',
      listener: 'admin',
      methods: ['POST'],
      auth: 'admin',
      path: '/v1/allowlists/:id/subscribers',
      params: { id: listId },
      body: body(subscribe),
    },
    {
      name: 'admin DELETE /v1/allowlists/:id/subscribers/:entity',
      listener: 'admin',
      methods: ['DELETE'],
      auth: 'admin',
      path: '/v1/allowlists/:id/subscribers/:entity',
      params: { id: listId, entity: segment(entity) },
      query: query({ entity_type: fc.constantFrom('engine', 'tag', 'org', 'planet', 'remediation_component_integration') }),
    },
    {
      name: 'unknown routes (admin)',
      listener: 'admin',
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
      auth: 'admin',
      path: '/:a/:b',
      params: { a: segment(fc.constantFrom('v1', 'v2', 'health', '')), b: unknown },
      body: body(fc.jsonValue({ maxDepth: 2 })),
    },
  ];
}

/** Credentials for a route: the right ones most of the time, else none, wrong, or those of another kind. */
function credentials(route: Route, state: FuzzState): fc.Arbitrary<{ headers: Record<string, string>; valid: boolean }> {
  const bearer = (token: string) => ({ authorization: `Bearer ${token}`, 'user-agent': 'crowdsec/v1.7.8-linux' });
  const machine = fc.constant(null).map(() => ({ headers: bearer(state.token), valid: true }));
  const bouncer = fc.constant({
    headers: { 'x-api-key': CREDS.bouncerKey, 'user-agent': 'crowdsec-firewall-bouncer/v0.0.31' },
    valid: true,
  });
  const admin = fc.constant({ headers: { 'x-api-key': CREDS.adminKey }, valid: true });
  const wrong = fc
    .oneof(
      fc.constant({}),
      hostileString.map((s) => ({ 'x-api-key': encodeURIComponent(s).slice(0, 2000) })),
      hostileString.map((s) => ({ authorization: `Bearer ${encodeURIComponent(s).slice(0, 2000)}` })),
      fc.nat().map((n) => ({ authorization: `Bearer ${tamper(state.token, n)}` })),
      fc.constantFrom(
        { authorization: 'Bearer ' },
        { authorization: 'Basic Zm9vOmJhcg==' },
        { cookie: 'jwt=' },
        { cookie: 'jwt=a.b.c' },
        { 'x-api-key': CREDS.adminKey },
        { 'x-api-key': CREDS.bouncerKey },
      ),
    )
    .map((headers) => ({ headers: headers as Record<string, string>, valid: false }));
  const right =
    route.auth === 'machine'
      ? machine
      : route.auth === 'bouncer'
        ? bouncer
        : route.auth === 'admin'
          ? admin
          : route.auth === 'either'
            ? fc.oneof(machine, bouncer)
            : fc.constant({ headers: {}, valid: true });
  return fc.oneof({ arbitrary: right, weight: 3 }, { arbitrary: wrong, weight: 1 });
}

/**
 * A User-Agent: the ones agents and bouncers send, or a broken one (no slash, many, empty parts, bytes past
 * ASCII). Never past 255 characters unless the open issues are asked for: MariaDB refuses a longer version
 * or type taken from it (src/auth/api-key.ts, src/api/v1/watchers.ts).
 */
const userAgent = fc.oneof(
  fc.constantFrom(
    'crowdsec/v1.7.8-linux',
    'crowdsec-firewall-bouncer/v0.0.31',
    '',
    'noslash',
    'a/b/c',
    'crowdsec/',
    '/v1',
    'crowdsec/v1/',
    ' / ',
  ),
  fc.tuple(word, fc.string({ unit: 'grapheme-ascii', maxLength: 40 })).map(([n, v]) => `${n}/${v}`),
  fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((s) => s.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '')),
  fc.tuple(word, fc.integer({ min: 256, max: 600 })).map(([n, len]) => `${n}/v${'9'.repeat(len)}`),
);

/** A JWT with one character changed (signature, payload or header). */
function tamper(token: string, n: number): string {
  const i = n % token.length;
  const c = token[i] === 'A' ? 'B' : 'A';
  return token.slice(0, i) + c + token.slice(i + 1);
}

const MAX_URL = 8000;
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '',
];

/** The requests of one route. */
export function requests(route: Route, state: FuzzState): fc.Arbitrary<FuzzRequest> {
  const names = Object.keys(route.params ?? {});
  const params = fc.tuple(...names.map((n) => route.params![n]!));
  return fc
    .record({
      method: fc.constantFrom(...route.methods),
      params: names.length > 0 ? params : fc.constant([] as string[]),
      query: route.query ?? fc.constant(''),
      body: route.body ?? fc.constant(undefined),
      creds: credentials(route, state),
      contentType: fc.constantFrom(...CONTENT_TYPES),
      ua: fc.option(userAgent, { freq: 3 }),
    })
    .map(({ method, params: values, query: q, body: b, creds, contentType, ua }) => {
      let path = route.path;
      for (const [i, n] of names.entries()) path = path.replace(`:${n}`, guardId(route, values[i]!, state, creds.valid));
      // a request line within node's 16 KiB header limit: longer is a 431 before any route (http-abuse.test.ts)
      if (path.length + q.length > MAX_URL) q = q.slice(0, Math.max(0, MAX_URL - path.length));
      if (route.guard && creds.valid) q = q === '' ? `?${route.guard}` : `${q}&${route.guard}`;
      const headers: Record<string, string> = { ...creds.headers };
      if (contentType !== '') headers['content-type'] = contentType;
      if (ua !== null) headers['user-agent'] = ua;
      const sendsBody = b !== undefined && method !== 'GET' && method !== 'HEAD';
      return { listener: route.listener, method, path: path + q, headers, body: sendsBody ? b : undefined };
    });
}

/** A deletion by id never names a known alert or decision: the value as the route would read it is checked. */
function guardId(route: Route, seg: string, state: FuzzState, valid: boolean): string {
  if (!valid || route.methods[0] !== 'DELETE' || !route.name.endsWith('/:id')) return seg;
  let text = seg;
  try {
    text = decodeURIComponent(seg);
  } catch {
    return seg;
  }
  return /^\d+$/.test(text) && Number(text) <= state.knownMaxId ? String(state.knownMaxId + 1 + Number(text)) : seg;
}
