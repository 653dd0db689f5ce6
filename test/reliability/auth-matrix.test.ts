import assert from 'node:assert/strict';
import { test } from 'node:test';
import { machinesDelete } from '../../src/cli/machines/delete.js';
import { cscliAlert, UA } from '../helpers/actors.js';
import {
  addBouncerKey,
  addValidatedMachine,
  b64url,
  claimsOf,
  ensureLiveDecision,
  fingerprint,
  login,
  nowS,
  PASSWORD,
  pushAlert,
  send,
  sign,
  startEnv,
  type Env,
  type Res,
} from './auth-matrix-env.js';

/**
 * The auth-bypass matrix (issue 11): credential × route → exact status and body, over real HTTP to a
 * real `lapis serve`. Every refused row also checks that the database did not change.
 *
 * Rows named in TODO (exactly, or as `<entry> on <route>`) assert what src/ does not do yet. They run as
 * `todo` (reported, not fatal) until their entry is removed; LAPIS_AUTH_MATRIX_STRICT=1 runs them as
 * ordinary tests.
 */
const GIN = 'gin answers differently (not a bypass: the request still needs credentials)';
const TODO: [entry: string, why: string][] = [
  // upstream sets UseRawPath: `/v1/decision%73` is matched as written (404); find-my-way decodes it first
  ['no credentials: GET /v1/decision%73', GIN],
];
const todoOf = (name: string) => TODO.find(([p]) => name === p || name.startsWith(`${p} on `))?.[1];
const STRICT = process.env.LAPIS_AUTH_MATRIX_STRICT === '1';

type Headers = Record<string, string | string[]>;
type ServerKey = 'main' | 'trusted10' | 'proxy' | 'flagOnly6';

interface Expect {
  status: number;
  /** The exact body: '' for none, else a value compared as its JSON text (key order included). */
  body?: unknown;
  /** A JWT-shaped refusal whose message is not fixed: `{"code":401,"message":<non-empty>}` and the realm header. */
  jwt401?: true;
  headers?: Record<string, string>;
}

interface Row {
  name: string;
  /** The server configuration (default main); `admin` targets its admin listener. */
  on?: ServerKey;
  admin?: true;
  /** The client address (any 127.0.0.0/8 address). */
  from?: string;
  method: string;
  path: string | ((e: Env) => Promise<string>);
  auth?: (e: Env) => Headers | Promise<Headers>;
  body?: unknown;
  setup?: (e: Env) => Promise<void>;
  expect: Expect;
  check?: (e: Env, res: Res) => Promise<void> | void;
}

const SERVERS: Record<ServerKey, { yaml: string; listen?: string }> = {
  // forwarded headers off (the default), loopback only trusted, remote registration off
  main: { yaml: '    trusted_ips: [127.0.0.1]\n    use_forwarded_for_headers: false\n    disable_remote_lapi_registration: true\n' },
  // trusted_ips matter for alert deletion; 127.0.0.3 is a trusted address this machine can really send from
  trusted10: { yaml: "    trusted_ips: ['10.0.0.0/8', '127.0.0.3']\n" },
  // forwarded headers believed from 127.0.0.1 only
  proxy: {
    yaml: "    use_forwarded_for_headers: true\n    trusted_proxies: ['127.0.0.1']\n    trusted_ips: ['10.0.0.0/8']\n    disable_remote_lapi_registration: true\n",
  },
  // the flag alone: upstream then trusts the proxies 0.0.0.0/0 (csconfig/api.go), which no IPv6 peer is in
  flagOnly6: { yaml: '    use_forwarded_for_headers: true\n', listen: '[::1]:0' },
};

const REALM = 'JWT realm=Crowdsec API local';
const FORBIDDEN = { status: 403, body: { message: 'access forbidden' } };
const NOT_FOUND = { status: 404, body: '' };
const jwtErr = (message: string, status = 401): Expect => ({ status, body: { code: status, message } });
const NO_TOKEN = jwtErr('cookie token is empty');
const BAD_SIG = jwtErr('signature is invalid');
const SEGMENTS = jwtErr('token contains an invalid number of segments');
/** A query that matches nothing, so a 200 has a fixed body. */
const NOTHING = '?ip=192.0.2.250';

const LP_METRICS = {
  log_processors: [
    {
      version: 'v1.7.8',
      utc_startup_timestamp: 1,
      hub_items: {},
      datasources: { file: 1 },
      os: { name: 'linux', version: '6' },
      feature_flags: [],
      metrics: [],
    },
  ],
};
const RC_METRICS = { remediation_components: [{ version: 'v0.0.31', type: 'firewall', utc_startup_timestamp: 1, metrics: [] }] };

const bearer =
  (token: (e: Env) => string | Promise<string>) =>
  async (e: Env): Promise<Headers> => ({ Authorization: `Bearer ${await token(e)}` });
const apiKey =
  (key: (e: Env) => string, name = 'X-Api-Key') =>
  (e: Env): Headers => ({ [name]: key(e) });
const agentToken = (e: Env) => e.agent.token;
/** A fresh, correctly signed token for the agent, as its login would give. */
const valid = (e: Env) => sign(e.secret, { id: e.agent.id, exp: nowS() + 3600, orig_iat: nowS() });

// ---- the routes a machine calls, and how each is called --------------------------------------------
interface Route {
  label: string;
  method: string;
  path: string;
  body?: unknown;
  headers?: Headers;
  setup?: (e: Env) => Promise<void>;
}
const MACHINE_ROUTES: Route[] = [
  { label: 'POST /v1/alerts', method: 'POST', path: '/v1/alerts', body: [cscliAlert('203.0.113.50')] },
  { label: 'GET /v1/alerts', method: 'GET', path: '/v1/alerts' },
  { label: 'DELETE /v1/decisions', method: 'DELETE', path: '/v1/decisions', setup: ensureLiveDecision },
  { label: 'GET /v1/allowlists', method: 'GET', path: '/v1/allowlists' },
  { label: 'GET /v1/heartbeat', method: 'GET', path: '/v1/heartbeat' },
  { label: 'DELETE /v1/watchers/self', method: 'DELETE', path: '/v1/watchers/self' },
  {
    label: 'POST /v1/usage-metrics (as a machine)',
    method: 'POST',
    path: '/v1/usage-metrics',
    body: LP_METRICS,
    headers: { 'User-Agent': UA },
  },
  { label: 'GET /v1/refresh_token', method: 'GET', path: '/v1/refresh_token' },
];
const routeRow = (r: Route, name: string, auth: Row['auth'], expect: Expect): Row => ({
  name,
  method: r.method,
  path: r.path,
  body: r.body,
  ...(r.setup ? { setup: r.setup } : {}),
  auth: async (e) => ({ ...(r.headers ?? {}), ...((await auth?.(e)) ?? {}) }),
  expect,
});

// ---- machines in a state the token no longer matches (one fresh machine per row) -------------------
let serial = 0;
const register = async (e: Env, machineId: string) => {
  const res = await send(e, { method: 'POST', path: '/v1/watchers', body: { machine_id: machineId, password: PASSWORD } });
  assert.equal(res.status, 201, res.text);
};
const loggedInThenDeleted = async (e: Env, machineId: string) => {
  await addValidatedMachine(e, machineId);
  const token = await login(e, machineId);
  assert.deepEqual(await machinesDelete(e.db, [machineId]), { deleted: [machineId] });
  return token;
};
const STATES: { label: string; token: (e: Env) => Promise<string> }[] = [
  { label: 'deleted machine token', token: (e) => loggedInThenDeleted(e, `gone-${++serial}`) },
  {
    label: 'deleted then re-registered machine token',
    token: async (e) => {
      const id = `again-${++serial}`;
      const token = await loggedInThenDeleted(e, id);
      await register(e, id); // same name, now pending validation
      return token;
    },
  },
  {
    label: 'never validated machine token',
    token: async (e) => {
      const id = `pending-${++serial}`;
      await register(e, id);
      return sign(e.secret, { id, exp: nowS() + 3600, orig_iat: nowS() });
    },
  },
  { label: 'unknown machine token', token: (e) => sign(e.secret, { id: `ghost-${++serial}`, exp: nowS() + 3600, orig_iat: nowS() }) },
];
const identityRows: Row[] = STATES.flatMap((s) =>
  MACHINE_ROUTES.map((r) => routeRow(r, `${s.label} on ${r.label}`, bearer(s.token), { status: 401, jwt401: true })),
);

// ---- forged, damaged or misplaced JWTs ---------------------------------------------------------------
interface Forgery {
  label: string;
  auth: Row['auth'];
  query?: string;
  expect: Expect;
  /** Also tried on GET /v1/refresh_token (same answer unless given). */
  refresh?: Expect | true;
}
const FORGERIES: Forgery[] = [
  { label: 'no credentials', auth: () => ({}), expect: NO_TOKEN, refresh: true },
  {
    label: 'alg none (unsigned)',
    auth: bearer((e) => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ id: e.agent.id, exp: nowS() + 3600, orig_iat: nowS() })}.`),
    expect: jwtErr('signing method (alg) is unavailable'),
    refresh: true,
  },
  {
    label: 'alg NONE (upper case, unsigned)',
    auth: bearer((e) => `${b64url({ alg: 'NONE', typ: 'JWT' })}.${b64url({ id: e.agent.id, exp: nowS() + 3600, orig_iat: nowS() })}.`),
    expect: jwtErr('signing method (alg) is unavailable'),
  },
  {
    label: 'HS256 header, real claims, empty signature',
    auth: bearer((e) => `${e.agent.token.split('.').slice(0, 2).join('.')}.`),
    expect: BAD_SIG,
  },
  {
    label: 'HS256 signed with a wrong secret',
    auth: bearer((e) => sign(new Uint8Array(64).fill(7), { id: e.agent.id, exp: nowS() + 3600, orig_iat: nowS() })),
    expect: BAD_SIG,
    refresh: true,
  },
  {
    label: 'HS512 signed with the real secret',
    auth: bearer((e) => sign(e.secret, { id: e.agent.id, exp: nowS() + 3600, orig_iat: nowS() }, 'HS512')),
    expect: jwtErr('signing method (alg) is unavailable'),
    refresh: true,
  },
  {
    label: 'expired, signed with the real secret',
    auth: bearer((e) => sign(e.secret, { id: e.agent.id, exp: nowS() - 120, orig_iat: nowS() - 3720 })),
    expect: jwtErr('Token is expired'),
    refresh: { status: 401, jwt401: true },
  },
  {
    label: 'tampered payload (id agent-a → agent-b, signature kept)',
    auth: bearer((e) => {
      const [h, p, s] = e.agent.token.split('.');
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
      return `${h}.${b64url({ ...claims, id: e.other })}.${s}`;
    }),
    expect: BAD_SIG,
    refresh: true,
  },
  {
    label: 'truncated (signature cut short)',
    auth: bearer((e) => e.agent.token.slice(0, -6)),
    expect: jwtErr('token is malformed'),
    refresh: true,
  },
  { label: 'truncated (last signature character dropped)', auth: bearer((e) => e.agent.token.slice(0, -1)), expect: BAD_SIG },
  {
    label: 'two segments (header.payload)',
    auth: bearer((e) => e.agent.token.split('.').slice(0, 2).join('.')),
    expect: SEGMENTS,
    refresh: true,
  },
  { label: 'four segments', auth: bearer((e) => `${e.agent.token}.x`), expect: SEGMENTS },
  { label: 'valid token in ?token= only', auth: () => ({}), query: 'token', expect: NO_TOKEN, refresh: true },
  {
    label: 'lower-case scheme (bearer <valid>)',
    auth: (e) => ({ Authorization: `bearer ${e.agent.token}` }),
    expect: NO_TOKEN,
    refresh: true,
  },
  { label: 'upper-case scheme (BEARER <valid>)', auth: (e) => ({ Authorization: `BEARER ${e.agent.token}` }), expect: NO_TOKEN },
  { label: 'two spaces after Bearer', auth: (e) => ({ Authorization: `Bearer  ${e.agent.token}` }), expect: BAD_SIG },
  { label: 'tab after Bearer', auth: (e) => ({ Authorization: `Bearer\t${e.agent.token}` }), expect: NO_TOKEN },
  { label: 'Bearer and nothing', auth: () => ({ Authorization: 'Bearer ' }), expect: NO_TOKEN },
  {
    label: 'Basic scheme',
    auth: () => ({ Authorization: `Basic ${Buffer.from(`agent-a:${PASSWORD}`).toString('base64')}` }),
    expect: NO_TOKEN,
  },
  { label: 'valid token in X-Api-Key', auth: (e) => ({ 'X-Api-Key': e.agent.token }), expect: NO_TOKEN },
  {
    label: 'forged jwt cookie (wrong secret)',
    auth: async (e) => ({
      Cookie: `jwt=${await sign(new Uint8Array(64).fill(7), { id: e.agent.id, exp: nowS() + 3600, orig_iat: nowS() })}`,
    }),
    expect: BAD_SIG,
    refresh: true,
  },
  {
    label: 'two Authorization headers (forged first, valid second)',
    auth: async (e) => ({
      Authorization: [
        `Bearer ${await sign(new Uint8Array(64).fill(7), { id: e.agent.id, exp: nowS() + 3600 })}`,
        `Bearer ${e.agent.token}`,
      ],
    }),
    expect: BAD_SIG,
  },
  {
    label: 'no exp claim (real secret)',
    auth: bearer((e) => sign(e.secret, { id: e.agent.id, orig_iat: nowS() })),
    expect: jwtErr('missing exp field', 400),
  },
  {
    label: 'exp as a string (real secret)',
    auth: bearer((e) => sign(e.secret, { id: e.agent.id, exp: String(nowS() + 3600), orig_iat: nowS() })),
    expect: jwtErr('exp must be float64 format', 400),
  },
  {
    label: 'id claim not a string (real secret)',
    auth: bearer((e) => sign(e.secret, { id: 1, exp: nowS() + 3600, orig_iat: nowS() })),
    expect: jwtErr('token is malformed'),
  },
  {
    label: 'no id claim (real secret)',
    auth: bearer((e) => sign(e.secret, { exp: nowS() + 3600, orig_iat: nowS() })),
    expect: jwtErr('token is malformed'),
  },
  { label: 'bouncer key as a Bearer token', auth: bearer((e) => e.bouncerKey), expect: SEGMENTS },
  { label: 'admin key as a Bearer token', auth: bearer((e) => e.adminKey), expect: SEGMENTS },
];
const FORGED_ROUTES: Route[] = [MACHINE_ROUTES[1]!, MACHINE_ROUTES[2]!];
const forgeryRows: Row[] = FORGERIES.flatMap((f) => {
  const routes = f.refresh ? [...FORGED_ROUTES, MACHINE_ROUTES[7]!] : FORGED_ROUTES;
  return routes.map((r) => {
    const expect = r.path === '/v1/refresh_token' && f.refresh !== true ? (f.refresh as Expect) : f.expect;
    const row = routeRow(r, `JWT ${f.label} on ${r.label}`, f.auth, expect);
    if (f.query) row.path = async (e) => `${r.path}?${f.query}=${e.agent.token}`;
    return row;
  });
});

// ---- refresh: a bounded session ------------------------------------------------------------------------
async function refreshWith(e: Env, token: string): Promise<string> {
  const res = await send(e, { method: 'GET', path: '/v1/refresh_token', headers: { Authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, res.text);
  return (JSON.parse(res.text) as { token: string }).token;
}
function assertLoginShape(res: Res, machineId: string): Record<string, unknown> {
  const body = JSON.parse(res.text) as { code: number; expire: string; token: string };
  assert.deepEqual(Object.keys(body), ['code', 'expire', 'token']);
  assert.equal(body.code, 200);
  assert.ok(!Number.isNaN(Date.parse(body.expire)), body.expire);
  const claims = claimsOf(body.token);
  assert.equal(claims.id, machineId);
  return claims;
}
const ORIG_IAT_10_MIN_AGO: Record<string, number> = {};
const refreshRows: Row[] = [
  {
    name: 'refresh carries orig_iat forward, through a chain of refreshes',
    method: 'GET',
    path: '/v1/refresh_token',
    auth: bearer(async (e) => {
      ORIG_IAT_10_MIN_AGO[e.port] = nowS() - 600;
      return sign(e.secret, { id: e.agent.id, exp: nowS() + 3000, orig_iat: ORIG_IAT_10_MIN_AGO[e.port] });
    }),
    expect: { status: 200 },
    check: async (e, res) => {
      const first = assertLoginShape(res, e.agent.id);
      assert.equal(first.orig_iat, ORIG_IAT_10_MIN_AGO[e.port], 'the refreshed token keeps the original issue time');
      const again = claimsOf(await refreshWith(e, (JSON.parse(res.text) as { token: string }).token));
      assert.equal(again.orig_iat, ORIG_IAT_10_MIN_AGO[e.port], 'so does a refresh of the refreshed token');
    },
  },
  {
    name: 'refresh refused once orig_iat is older than the refresh window (exp still ahead)',
    method: 'GET',
    path: '/v1/refresh_token',
    auth: bearer((e) => sign(e.secret, { id: e.agent.id, exp: nowS() + 600, orig_iat: nowS() - 3700 })),
    expect: { status: 401, jwt401: true },
  },
  {
    name: 'refresh refused for a token without orig_iat',
    method: 'GET',
    path: '/v1/refresh_token',
    auth: bearer((e) => sign(e.secret, { id: e.agent.id, exp: nowS() + 600 })),
    expect: { status: 401, jwt401: true },
  },
  {
    name: 'refresh of an expired token whose orig_iat is inside the window is accepted (upstream)',
    method: 'GET',
    path: '/v1/refresh_token',
    auth: bearer((e) => sign(e.secret, { id: e.agent.id, exp: nowS() - 60, orig_iat: nowS() - 1800 })),
    expect: { status: 200 },
    check: (e, res) => void assertLoginShape(res, e.agent.id),
  },
  {
    name: 'refresh with the token in the jwt cookie is accepted (upstream)',
    method: 'GET',
    path: '/v1/refresh_token',
    auth: async (e) => ({ Cookie: `jwt=${await valid(e)}` }),
    expect: { status: 200 },
    check: (e, res) => void assertLoginShape(res, e.agent.id),
  },
];

// ---- accepted token placements (what upstream accepts, Lapis accepts) ------------------------------------
const acceptedRows: Row[] = [
  {
    name: 'valid Bearer token on GET /v1/alerts (control)',
    method: 'GET',
    path: `/v1/alerts${NOTHING}`,
    auth: bearer(agentToken),
    expect: { status: 200, body: null },
  },
  {
    name: 'valid token in the jwt cookie on GET /v1/alerts (upstream accepts the cookie)',
    method: 'GET',
    path: `/v1/alerts${NOTHING}`,
    auth: (e) => ({ Cookie: `other=1; jwt=${e.agent.token}` }),
    expect: { status: 200, body: null },
  },
  {
    name: 'valid Bearer token with trailing whitespace (HTTP strips it)',
    method: 'GET',
    path: `/v1/alerts${NOTHING}`,
    auth: (e) => ({ Authorization: `Bearer ${e.agent.token}  ` }),
    expect: { status: 200, body: null },
  },
  {
    name: 'valid Bearer token on GET /v1/heartbeat (control)',
    method: 'GET',
    path: '/v1/heartbeat',
    auth: bearer(agentToken),
    expect: { status: 200, body: '' },
  },
];

// ---- each key kind on the other kinds' routes ---------------------------------------------------------
const bouncerKey = apiKey((e) => e.bouncerKey);
const adminKey = apiKey((e) => e.adminKey);
const crossRows: Row[] = [
  { name: 'machine JWT on GET /v1/decisions', method: 'GET', path: `/v1/decisions${NOTHING}`, auth: bearer(agentToken), expect: FORBIDDEN },
  {
    name: 'machine JWT on GET /v1/decisions/stream',
    method: 'GET',
    path: '/v1/decisions/stream?startup=true',
    auth: bearer(agentToken),
    expect: FORBIDDEN,
  },
  {
    name: 'machine JWT on HEAD /v1/decisions',
    method: 'HEAD',
    path: '/v1/decisions',
    auth: bearer(agentToken),
    expect: { status: 403, body: '' },
  },
  {
    name: 'machine JWT in X-Api-Key on GET /v1/decisions',
    method: 'GET',
    path: '/v1/decisions',
    auth: apiKey((e) => e.agent.token),
    expect: FORBIDDEN,
  },
  { name: 'admin key on GET /v1/decisions', method: 'GET', path: '/v1/decisions', auth: adminKey, expect: FORBIDDEN },
  { name: 'admin key on GET /v1/decisions/stream', method: 'GET', path: '/v1/decisions/stream', auth: adminKey, expect: FORBIDDEN },
  {
    name: 'admin key on POST /v1/usage-metrics',
    method: 'POST',
    path: '/v1/usage-metrics',
    auth: adminKey,
    body: RC_METRICS,
    expect: FORBIDDEN,
  },
  ...MACHINE_ROUTES.filter((r) => r.path !== '/v1/usage-metrics').flatMap((r) => [
    routeRow(r, `bouncer key on ${r.label}`, bouncerKey, NO_TOKEN),
    routeRow(r, `admin key on ${r.label}`, adminKey, NO_TOKEN),
  ]),
  { name: 'admin API: no credentials on GET /v1/allowlists', admin: true, method: 'GET', path: '/v1/allowlists', expect: FORBIDDEN },
  {
    name: 'admin API: bouncer key on GET /v1/allowlists',
    admin: true,
    method: 'GET',
    path: '/v1/allowlists',
    auth: bouncerKey,
    expect: FORBIDDEN,
  },
  {
    name: 'admin API: bouncer key on POST /v1/allowlists',
    admin: true,
    method: 'POST',
    path: '/v1/allowlists',
    auth: bouncerKey,
    body: { name: 'evil' },
    expect: FORBIDDEN,
  },
  {
    name: 'admin API: machine JWT on GET /v1/allowlists',
    admin: true,
    method: 'GET',
    path: '/v1/allowlists',
    auth: bearer(agentToken),
    expect: FORBIDDEN,
  },
  {
    name: 'admin API: machine JWT on POST /v1/allowlists',
    admin: true,
    method: 'POST',
    path: '/v1/allowlists',
    auth: bearer(agentToken),
    body: { name: 'evil' },
    expect: FORBIDDEN,
  },
  {
    name: 'admin API: machine JWT in X-Api-Key on GET /v1/allowlists',
    admin: true,
    method: 'GET',
    path: '/v1/allowlists',
    auth: apiKey((e) => e.agent.token),
    expect: FORBIDDEN,
  },
  {
    name: 'admin API: admin key as Bearer on GET /v1/allowlists',
    admin: true,
    method: 'GET',
    path: '/v1/allowlists',
    auth: bearer((e) => e.adminKey),
    expect: FORBIDDEN,
  },
  {
    name: 'admin API: admin key on GET /v1/allowlists (control)',
    admin: true,
    method: 'GET',
    path: '/v1/allowlists',
    auth: adminKey,
    expect: { status: 200 },
  },
  {
    name: 'admin API: admin key in X-API-KEY (upper case) on GET /v1/allowlists',
    admin: true,
    method: 'GET',
    path: '/v1/allowlists',
    auth: apiKey((e) => e.adminKey, 'X-API-KEY'),
    expect: { status: 200 },
  },
  {
    name: 'bouncer key on POST /v1/usage-metrics with a forged JWT too (bouncer auth decides)',
    method: 'POST',
    path: '/v1/usage-metrics',
    auth: async (e) => ({ 'X-Api-Key': 'not-a-key', Authorization: `Bearer ${e.agent.token}` }),
    body: LP_METRICS,
    expect: FORBIDDEN,
  },
  {
    name: 'no credentials on POST /v1/usage-metrics, agent User-Agent',
    method: 'POST',
    path: '/v1/usage-metrics',
    auth: () => ({ 'User-Agent': UA }),
    body: LP_METRICS,
    expect: NO_TOKEN,
  },
  {
    name: 'no credentials on POST /v1/usage-metrics, other User-Agent',
    method: 'POST',
    path: '/v1/usage-metrics',
    auth: () => ({ 'User-Agent': 'curl/8' }),
    body: RC_METRICS,
    expect: FORBIDDEN,
  },
];

// ---- API key header forms -----------------------------------------------------------------------------
const keyRows: Row[] = [
  {
    name: 'X-API-KEY (upper case) on GET /v1/decisions',
    method: 'GET',
    path: `/v1/decisions${NOTHING}`,
    auth: apiKey((e) => e.bouncerKey, 'X-API-KEY'),
    expect: { status: 200, body: null },
  },
  {
    name: 'x-api-key (lower case) on GET /v1/decisions',
    method: 'GET',
    path: `/v1/decisions${NOTHING}`,
    auth: apiKey((e) => e.bouncerKey, 'x-api-key'),
    expect: { status: 200, body: null },
  },
  { name: 'X-Api-Key on HEAD /v1/decisions', method: 'HEAD', path: '/v1/decisions', auth: bouncerKey, expect: { status: 200, body: '' } },
  {
    name: 'X-Api-Key on HEAD /v1/decisions/stream',
    method: 'HEAD',
    path: '/v1/decisions/stream',
    auth: bouncerKey,
    expect: { status: 200, body: '' },
  },
  {
    name: 'empty X-Api-Key on GET /v1/decisions',
    method: 'GET',
    path: '/v1/decisions',
    auth: () => ({ 'X-Api-Key': '' }),
    expect: FORBIDDEN,
  },
  {
    name: 'wrong X-Api-Key on GET /v1/decisions',
    method: 'GET',
    path: '/v1/decisions',
    auth: (e) => ({ 'X-Api-Key': `${e.bouncerKey}x` }),
    expect: FORBIDDEN,
  },
  {
    name: 'two X-Api-Key headers (wrong, then valid) on GET /v1/decisions',
    method: 'GET',
    path: '/v1/decisions',
    auth: (e) => ({ 'X-Api-Key': ['wrong', e.bouncerKey] }),
    expect: FORBIDDEN,
  },
  {
    name: 'two X-Api-Key headers (valid, then wrong) on GET /v1/decisions',
    method: 'GET',
    path: '/v1/decisions',
    auth: (e) => ({ 'X-Api-Key': [e.bouncerKey, 'wrong'] }),
    expect: FORBIDDEN,
  },
];

// ---- path tricks and HEAD, without credentials (gin: 404 unknown, 405 wrong method, trailing-slash redirects)
const get = (path: string, expect: Expect, extra: Partial<Row> = {}): Row => ({
  name: `no credentials: GET ${path}`,
  method: 'GET',
  path,
  expect,
  ...extra,
});
const redirect = (status: number, location: string): Expect => ({ status, body: '', headers: { location } });
const head = (path: string, expect: Expect, admin = false): Row => ({
  name: `no credentials: HEAD ${path}${admin ? ' (admin API)' : ''}`,
  method: 'HEAD',
  path,
  expect,
  ...(admin ? { admin: true as const } : {}),
});
const notAllowed = (allow: string): Expect => ({ status: 405, body: '', headers: { allow } });
const pathRows: Row[] = [
  get('//v1/decisions', NOT_FOUND),
  { ...get('//v1/decisions', NOT_FOUND), name: 'valid key: GET //v1/decisions', auth: bouncerKey },
  get('/v1/./decisions', NOT_FOUND),
  get('/v1/../v1/decisions', NOT_FOUND),
  get('/v1/%2e%2e/v1/decisions', NOT_FOUND),
  get('/v1/%2e/decisions', NOT_FOUND),
  get('/v1%2Fdecisions', NOT_FOUND),
  get('/v1/decisions%2Fstream', NOT_FOUND),
  get('/V1/decisions', NOT_FOUND),
  get('/v1/Decisions', NOT_FOUND),
  get('/v1/decision%73', NOT_FOUND),
  get('/v1/decisions;x', NOT_FOUND),
  get('/v1/heartbeat/../decisions', NOT_FOUND),
  get('/v1/heartbeat/..%2Fdecisions', NOT_FOUND),
  get('//v1/alerts', NOT_FOUND),
  get('/v1/alerts/../alerts', NOT_FOUND),
  get('/v1/decisions/', redirect(301, '/v1/decisions')),
  get(`/v1/decisions/${NOTHING}`, redirect(301, `/v1/decisions${NOTHING}`)),
  get('/v1/decisions/stream/', redirect(301, '/v1/decisions/stream')),
  get('/v1/alerts/', redirect(301, '/v1/alerts')),
  get('/v1/allowlists/', redirect(301, '/v1/allowlists')),
  { name: 'no credentials: HEAD /v1/decisions/', method: 'HEAD', path: '/v1/decisions/', expect: redirect(307, '/v1/decisions') },
  {
    name: 'no credentials: DELETE /v1/decisions/',
    method: 'DELETE',
    path: '/v1/decisions/',
    setup: ensureLiveDecision,
    expect: redirect(307, '/v1/decisions'),
  },
  {
    name: 'no credentials: DELETE /v1/watchers/self/',
    method: 'DELETE',
    path: '/v1/watchers/self/',
    expect: redirect(307, '/v1/watchers/self'),
  },
  { ...get('//v1/allowlists', NOT_FOUND), name: 'no credentials: GET //v1/allowlists (admin API)', admin: true },
  { ...get('/V1/allowlists', NOT_FOUND), name: 'no credentials: GET /V1/allowlists (admin API)', admin: true },
  // the admin API is Lapis' own: no upstream answer to match, only the guard
  // the admin listener shares the Local API's fallbacks: the slash is redirected away before any key is asked
  {
    ...get('/v1/allowlists/', { status: 301, body: '', headers: { location: '/v1/allowlists' } }),
    name: 'no credentials: GET /v1/allowlists/ (admin API)',
    admin: true,
  },
  {
    name: 'admin key: POST /v1/allowlists on the Local API listener',
    method: 'POST',
    path: '/v1/allowlists',
    auth: adminKey,
    body: { name: 'evil' },
    expect: notAllowed('GET'),
  },
  {
    name: 'admin key: DELETE /v1/allowlists/x on the Local API listener',
    method: 'DELETE',
    path: '/v1/allowlists/x',
    auth: adminKey,
    expect: notAllowed('GET'),
  },
  {
    name: 'valid key: GET /v1/decisions on the admin listener',
    admin: true,
    method: 'GET',
    path: '/v1/decisions',
    auth: bouncerKey,
    expect: NOT_FOUND,
  },
  head('/v1/decisions', { status: 403, body: '' }),
  head('/v1/decisions/stream', { status: 403, body: '' }),
  head('/v1/alerts', { status: 401, body: '', headers: { 'www-authenticate': REALM } }),
  head('/v1/alerts/1', { status: 401, body: '', headers: { 'www-authenticate': REALM } }),
  head('/v1/allowlists/check/1.2.3.4', { status: 401, body: '', headers: { 'www-authenticate': REALM } }),
  head('/v1/heartbeat', notAllowed('GET')),
  head('/v1/allowlists', notAllowed('GET')),
  head('/v1/allowlists/foo', notAllowed('GET')),
  head('/v1/watchers/self', notAllowed('DELETE')),
  head('/v1/refresh_token', notAllowed('GET')),
  head('/v1/usage-metrics', notAllowed('POST')),
  head('/v1/decisions/1', notAllowed('DELETE')),
  head('/v1/allowlists', notAllowed('GET, POST'), true),
  {
    name: 'bouncer key: HEAD /v1/alerts',
    method: 'HEAD',
    path: '/v1/alerts',
    auth: bouncerKey,
    expect: { status: 401, body: '', headers: { 'www-authenticate': REALM } },
  },
];

// ---- spoofed forwarded headers ----------------------------------------------------------------------------
const bouncersNamed = async (e: Env, base: string) =>
  (await e.db.selectFrom('bouncers').select(['name', 'ip_address']).where('name', 'like', `${base}%`).orderBy('id').execute()).map(
    (b) => `${b.name} ${b.ip_address}`,
  );
const machineIp = async (e: Env, id: string) =>
  (await e.db.selectFrom('machines').select('ip_address').where('machine_id', '=', id).executeTakeFirstOrThrow()).ip_address;
const freshBouncer = (name: string) => async (e: Env) => {
  if ((await bouncersNamed(e, name)).length === 0) await addBouncerKey(e.db, name);
};
const keyOf = (name: string) => (): Headers => ({ 'X-Api-Key': `${name}-key-0123456789abcdef` });
const withXff = (auth: Row['auth'], xff: Headers) => async (e: Env) => ({ ...((await auth?.(e)) ?? {}), ...xff });
const deleteAlert = async (e: Env) => `/v1/alerts/${await pushAlert(e, '198.51.100.99')}`;
const REG = (id: string) => ({ machine_id: id, password: PASSWORD });
const fromThisIp = (ip: string) => ({ status: 403, body: { message: `access forbidden from this IP (${ip})` } });
const DELETED_ONE = { status: 200, body: { nbDeleted: '1' } };
const xffRows: Row[] = [
  {
    name: 'xff off: bouncer first seen from 127.0.0.1 claiming X-Forwarded-For 10.0.0.1 is recorded as 127.0.0.1',
    method: 'GET',
    path: `/v1/decisions${NOTHING}`,
    setup: freshBouncer('fwx'),
    auth: withXff(keyOf('fwx'), { 'X-Forwarded-For': '10.0.0.1' }),
    expect: { status: 200, body: null },
    check: async (e) => assert.deepEqual(await bouncersNamed(e, 'fwx'), ['fwx 127.0.0.1']),
  },
  {
    name: 'xff off: the same key claiming X-Forwarded-For 10.0.0.2 and X-Real-IP 10.0.0.3 makes no fwx@10.0.0.x bouncer',
    method: 'GET',
    path: `/v1/decisions${NOTHING}`,
    auth: withXff(keyOf('fwx'), { 'X-Forwarded-For': '10.0.0.2', 'X-Real-IP': '10.0.0.3' }),
    expect: { status: 200, body: null },
    check: async (e) => assert.deepEqual(await bouncersNamed(e, 'fwx'), ['fwx 127.0.0.1']),
  },
  {
    name: 'xff off: registration from 127.0.0.1 claiming X-Forwarded-For 10.0.0.1 stores 127.0.0.1',
    method: 'POST',
    path: '/v1/watchers',
    auth: () => ({ 'X-Forwarded-For': '10.0.0.1' }),
    body: REG('xff-reg'),
    expect: { status: 201, body: '' },
    check: async (e) => assert.equal(await machineIp(e, 'xff-reg'), '127.0.0.1'),
  },
  {
    name: 'xff off + disable_remote_lapi_registration: registration from 127.0.0.2 claiming X-Forwarded-For 127.0.0.1 is refused',
    from: '127.0.0.2',
    method: 'POST',
    path: '/v1/watchers',
    auth: () => ({ 'X-Forwarded-For': '127.0.0.1' }),
    body: REG('xff-remote'),
    expect: FORBIDDEN,
  },
  {
    name: 'xff off + disable_remote_lapi_registration: registration from 127.0.0.2 claiming X-Real-IP 127.0.0.1 is refused',
    from: '127.0.0.2',
    method: 'POST',
    path: '/v1/watchers',
    auth: () => ({ 'X-Real-IP': '127.0.0.1' }),
    body: REG('xff-remote'),
    expect: FORBIDDEN,
  },
  {
    name: 'xff off: DELETE /v1/alerts/:id from 127.0.0.2 claiming X-Forwarded-For 127.0.0.1 is refused',
    from: '127.0.0.2',
    method: 'DELETE',
    path: deleteAlert,
    auth: withXff(bearer(agentToken), { 'X-Forwarded-For': '127.0.0.1' }),
    expect: fromThisIp('127.0.0.2'),
  },
  {
    name: 'trusted_ips 10/8: DELETE /v1/alerts/:id from 127.0.0.2 claiming X-Forwarded-For 10.0.0.1 is refused',
    on: 'trusted10',
    from: '127.0.0.2',
    method: 'DELETE',
    path: deleteAlert,
    auth: withXff(bearer(agentToken), { 'X-Forwarded-For': '10.0.0.1' }),
    expect: fromThisIp('127.0.0.2'),
  },
  {
    name: 'trusted_ips 10/8: DELETE /v1/alerts from 127.0.0.2 claiming X-Real-IP 10.0.0.1 is refused',
    on: 'trusted10',
    from: '127.0.0.2',
    method: 'DELETE',
    path: '/v1/alerts',
    auth: withXff(bearer(agentToken), { 'X-Real-IP': '10.0.0.1' }),
    expect: fromThisIp('127.0.0.2'),
  },
  {
    name: 'trusted_ips 10/8: DELETE /v1/alerts/:id from 127.0.0.2 claiming a trusted 127.0.0.3 is refused',
    on: 'trusted10',
    from: '127.0.0.2',
    method: 'DELETE',
    path: deleteAlert,
    auth: withXff(bearer(agentToken), { 'X-Forwarded-For': '127.0.0.3' }),
    expect: fromThisIp('127.0.0.2'),
  },
  {
    name: 'trusted_ips 10/8: DELETE /v1/alerts/:id from 127.0.0.3 (listed) is allowed (control)',
    on: 'trusted10',
    from: '127.0.0.3',
    method: 'DELETE',
    path: deleteAlert,
    auth: bearer(agentToken),
    expect: DELETED_ONE,
  },
  {
    name: 'trusted_ips 10/8: registration from 127.0.0.2 claiming X-Forwarded-For 10.0.0.1 stores 127.0.0.2',
    on: 'trusted10',
    from: '127.0.0.2',
    method: 'POST',
    path: '/v1/watchers',
    auth: () => ({ 'X-Forwarded-For': '10.0.0.1' }),
    body: REG('t10-reg'),
    expect: { status: 201, body: '' },
    check: async (e) => assert.equal(await machineIp(e, 't10-reg'), '127.0.0.2'),
  },
  {
    name: 'proxy 127.0.0.1: DELETE /v1/alerts/:id for a client at 10.0.0.1 behind the trusted proxy is allowed (control)',
    on: 'proxy',
    method: 'DELETE',
    path: deleteAlert,
    auth: withXff(bearer(agentToken), { 'X-Forwarded-For': '10.0.0.1' }),
    expect: DELETED_ONE,
  },
  {
    name: 'proxy 127.0.0.1: DELETE /v1/alerts/:id from 127.0.0.2 (not a trusted proxy) claiming 10.0.0.1 is refused',
    on: 'proxy',
    from: '127.0.0.2',
    method: 'DELETE',
    path: deleteAlert,
    auth: withXff(bearer(agentToken), { 'X-Forwarded-For': '10.0.0.1' }),
    expect: fromThisIp('127.0.0.2'),
  },
  {
    name: 'proxy 127.0.0.1: a client at 203.0.113.9 prepending 10.0.0.1 to X-Forwarded-For is refused',
    on: 'proxy',
    method: 'DELETE',
    path: deleteAlert,
    auth: withXff(bearer(agentToken), { 'X-Forwarded-For': '10.0.0.1, 203.0.113.9' }),
    expect: fromThisIp('203.0.113.9'),
  },
  {
    name: 'proxy 127.0.0.1: registration for a client at 203.0.113.9 behind the proxy is refused (remote)',
    on: 'proxy',
    method: 'POST',
    path: '/v1/watchers',
    auth: () => ({ 'X-Forwarded-For': '203.0.113.9' }),
    body: REG('proxy-remote'),
    expect: FORBIDDEN,
  },
  {
    name: 'proxy 127.0.0.1: registration from 127.0.0.2 (not a proxy) claiming X-Forwarded-For 127.0.0.1 is refused',
    on: 'proxy',
    from: '127.0.0.2',
    method: 'POST',
    path: '/v1/watchers',
    auth: () => ({ 'X-Forwarded-For': '127.0.0.1' }),
    body: REG('proxy-remote'),
    expect: FORBIDDEN,
  },
  {
    name: 'proxy 127.0.0.1: bouncer key from 127.0.0.2 claiming X-Forwarded-For 10.0.0.9 is recorded as 127.0.0.2',
    on: 'proxy',
    from: '127.0.0.2',
    method: 'GET',
    path: `/v1/decisions${NOTHING}`,
    setup: freshBouncer('fwp'),
    auth: withXff(keyOf('fwp'), { 'X-Forwarded-For': '10.0.0.9' }),
    expect: { status: 200, body: null },
    check: async (e) => assert.deepEqual(await bouncersNamed(e, 'fwp'), ['fwp 127.0.0.2']),
  },
  {
    name: 'use_forwarded_for_headers alone: bouncer key from ::1 claiming X-Forwarded-For 10.0.0.9 is recorded as ::1',
    on: 'flagOnly6',
    method: 'GET',
    path: `/v1/decisions${NOTHING}`,
    setup: freshBouncer('fw6'),
    auth: withXff(keyOf('fw6'), { 'X-Forwarded-For': '10.0.0.9' }),
    expect: { status: 200, body: null },
    check: async (e) => assert.deepEqual(await bouncersNamed(e, 'fw6'), ['fw6 ::1']),
  },
];

const ROWS: Row[] = [...forgeryRows, ...identityRows, ...refreshRows, ...acceptedRows, ...crossRows, ...keyRows, ...pathRows, ...xffRows];

function assertExpected(row: Row, res: Res, note: string): void {
  const text = res.text.length > 200 ? `${res.text.slice(0, 200)}…` : res.text;
  const what = `${row.method} → ${res.status} ${text}${note}`;
  assert.equal(res.status, row.expect.status, what);
  if (row.expect.jwt401) {
    const body = JSON.parse(res.text) as { code: unknown; message: unknown };
    assert.deepEqual(Object.keys(body), ['code', 'message'], what);
    assert.equal(body.code, 401, what);
    assert.ok(typeof body.message === 'string' && body.message !== '', what);
    assert.equal(res.headers['www-authenticate'], REALM);
  }
  if (row.expect.body !== undefined) {
    assert.equal(res.text, row.expect.body === '' ? '' : JSON.stringify(row.expect.body), what);
    if (typeof row.expect.body === 'object' && row.expect.body !== null && 'code' in row.expect.body)
      assert.equal(res.headers['www-authenticate'], REALM);
  }
  for (const [k, v] of Object.entries(row.expect.headers ?? {})) assert.equal(res.headers[k], v, `header ${k}`);
}

test('auth matrix: every credential on every route, over real HTTP', async (t) => {
  const names = new Set<string>();
  for (const row of ROWS) {
    assert.ok(!names.has(row.name), `duplicate row name: ${row.name}`);
    names.add(row.name);
  }
  for (const [p] of TODO)
    assert.ok(
      ROWS.some((r) => r.name === p || r.name.startsWith(`${p} on `)),
      `TODO entry matches no row: ${p}`,
    );

  const envs = new Map<ServerKey, Promise<Env>>();
  const envFor = (k: ServerKey) => {
    if (!envs.has(k)) envs.set(k, startEnv(t, SERVERS[k].yaml, SERVERS[k].listen));
    return envs.get(k)!;
  };
  for (const row of ROWS) {
    const todo = STRICT ? undefined : todoOf(row.name);
    await t.test(row.name, todo ? { todo } : {}, async () => {
      const e = await envFor(row.on ?? 'main');
      await row.setup?.(e);
      const headers = (await row.auth?.(e)) ?? {};
      const path = typeof row.path === 'string' ? row.path : await row.path(e);
      const refused = row.expect.status >= 300;
      const before = refused ? await fingerprint(e.db) : '';
      const res = await send(row.admin ? { port: e.adminPort } : e, {
        method: row.method,
        path,
        headers,
        body: row.body,
        ...(row.from ? { localAddress: row.from } : {}),
      });
      const after = refused ? await fingerprint(e.db) : '';
      assertExpected(row, res, after !== before ? ' (and the database changed)' : '');
      assert.equal(after, before, 'a refused request changes nothing');
      await row.check?.(e, res);
    });
  }
});
