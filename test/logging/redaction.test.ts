import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { cli, cliEnv } from '../cli/helpers.js';
import { spawnServe } from './helpers.js';

const BOUNCER_KEY = 'fw01-key-secret-0123456789abcdef';
const WRONG_KEY = 'not-a-key-but-secret-all-the-same';
const PASSWORD = 'p4ssw0rd-of-web01-secret';
const WRONG_PASSWORD = 'wrong-p4ssw0rd-secret';
const REGISTER_PASSWORD = 'p4ssw0rd-of-a-newcomer-secret';

interface Sent {
  status: number;
  body: string;
}

async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Sent> {
  // upstream's login refuses a User-Agent that is not `name/version`
  const headers = {
    'user-agent': 'crowdsec/v1.7.0',
    ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...init.headers,
  };
  const r = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body });
  return { status: r.status, body: await r.text() };
}

/**
 * A real `lapis serve` at debug level, the requests that carry each kind of secret (accepted and refused,
 * malformed bodies included), then every line of its log read back: not one secret may appear.
 */
async function secretsStayOut(t: TestContext, media: 'stdout' | 'file') {
  const logDir = media === 'file' ? 'logs' : undefined;
  const env = cliEnv(
    t,
    `common:\n  log_level: debug\n${logDir ? '  log_media: file\n  log_dir: LOGDIR\n' : ''}api:\n  server:\n    listen_uri: 127.0.0.1:0\n`,
  );
  const logFile = logDir ? join(env.dir, logDir, 'lapis.log') : undefined;
  if (logDir) {
    mkdirSync(join(env.dir, logDir));
    writeFileSync(env.configPath, readFileSync(env.configPath, 'utf8').replace('LOGDIR', join(env.dir, logDir)));
  }
  const ok = async (argv: string[]) => {
    const r = await cli(env, argv);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  await ok(['bouncers', 'add', 'fw01', '--key', BOUNCER_KEY]);
  await ok(['machines', 'add', 'web01', '--password', PASSWORD, '-f', join(env.dir, 'creds.yaml')]);
  const integration = JSON.parse(await ok(['integrations', 'create', 'edge', '--type', 'firewall', '-o', 'json'])) as {
    id: string;
    username: string;
    credentials: { password: string };
  };
  const adminKey = (await ok(['apikeys', 'add', 'ops', '-o', 'raw'])).trim();

  const server = await spawnServe(t, env.configPath, logFile);
  const api = server.url;
  const basic = Buffer.from(`${integration.username}:${integration.credentials.password}`).toString('base64');
  const wrongBasic = Buffer.from(`${integration.username}:${WRONG_PASSWORD}`).toString('base64');

  const login = await send(`${api}/v1/watchers/login`, {
    method: 'POST',
    body: JSON.stringify({ machine_id: 'web01', password: PASSWORD, scenarios: [] }),
  });
  assert.equal(login.status, 200, `${login.body}\n${server.stdout()}`);
  const token = (JSON.parse(login.body) as { token: string }).token;
  const signature = token.split('.')[2]!;

  const expected: [string, Promise<Sent>, number][] = [
    ['bouncer key', send(`${api}/v1/decisions?ip=192.0.2.1`, { headers: { 'x-api-key': BOUNCER_KEY } }), 200],
    ['wrong bouncer key', send(`${api}/v1/decisions?ip=192.0.2.1`, { headers: { 'x-api-key': WRONG_KEY } }), 403],
    [
      'wrong password',
      send(`${api}/v1/watchers/login`, { method: 'POST', body: JSON.stringify({ machine_id: 'web01', password: WRONG_PASSWORD }) }),
      401,
    ],
    // upstream's login answers 401 to any body it cannot read; V8's JSON.parse quotes the text around the error: a password in a broken body must not reach the log that way
    [
      'truncated login body',
      send(`${api}/v1/watchers/login`, { method: 'POST', body: `{"machine_id":"web01","password":"${WRONG_PASSWORD}` }),
      401,
    ],
    ['bad login body', send(`${api}/v1/watchers/login`, { method: 'POST', body: `{"password":"${WRONG_PASSWORD}" x}` }), 401],
    ['bad register body', send(`${api}/v1/watchers`, { method: 'POST', body: `{"machine_id":"x","password":"${REGISTER_PASSWORD}` }), 400],
    [
      'register',
      send(`${api}/v1/watchers`, { method: 'POST', body: JSON.stringify({ machine_id: 'newcomer', password: REGISTER_PASSWORD }) }),
      201,
    ],
    ['bearer', send(`${api}/v1/heartbeat`, { headers: { authorization: `Bearer ${token}` } }), 200],
    ['jwt cookie', send(`${api}/v1/heartbeat`, { headers: { cookie: `theme=dark; jwt=${token}` } }), 200],
    ['tampered bearer', send(`${api}/v1/heartbeat`, { headers: { authorization: `Bearer ${token}x` } }), 401],
    ['basic', send(`${api}/v1/integrations/${integration.id}/content`, { headers: { authorization: `Basic ${basic}` } }), 204],
    ['wrong basic', send(`${api}/v1/integrations/${integration.id}/content`, { headers: { authorization: `Basic ${wrongBasic}` } }), 401],
    ['admin key', send(`${server.adminUrl}/v1/allowlists`, { headers: { 'x-api-key': adminKey } }), 200],
    [
      'admin key on a bad body',
      send(`${server.adminUrl}/v1/allowlists`, { method: 'POST', headers: { 'x-api-key': adminKey }, body: '{' }),
      400,
    ],
  ];
  const statuses = await Promise.all(expected.map(async ([what, reply]) => [what, (await reply).status]));
  assert.deepEqual(
    statuses,
    expected.map(([what, , status]) => [what, status]),
  );
  assert.equal(await server.stop(), 0, server.stderr());

  const log = logFile ? readFileSync(logFile, 'utf8') : server.stdout();
  if (logFile) assert.equal(server.stdout(), '', 'log_media: file leaves stdout empty');
  const lines = log.trimEnd().split('\n');
  for (const line of lines) JSON.parse(line);
  // the log is not empty of what it should say: a request line for each request, and the last line written on stop
  assert.ok(lines.filter((l) => l.includes('"msg":"request"')).length >= expected.length + 1, log);
  assert.match(lines.at(-1)!, /"msg":"Lapis Local API stopped"/);
  const secrets = {
    BOUNCER_KEY,
    WRONG_KEY,
    PASSWORD,
    WRONG_PASSWORD,
    REGISTER_PASSWORD,
    token,
    signature,
    basic,
    wrongBasic,
    basicPassword: integration.credentials.password,
    adminKey,
  };
  for (const [name, secret] of Object.entries(secrets)) {
    const at = lines.find((l) => l.includes(secret));
    assert.equal(at, undefined, `${name} in the ${media} log: ${at}`);
  }
  if (logFile) assert.equal(existsSync(`${logFile}.1`), false);
}

test('no key, password, JWT or Basic credential in any stdout log line at debug level', (t) => secretsStayOut(t, 'stdout'));

test('no key, password, JWT or Basic credential in the log file at debug level; its last line written on stop', (t) =>
  secretsStayOut(t, 'file'));
