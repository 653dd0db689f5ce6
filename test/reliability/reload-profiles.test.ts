import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { hashPassword } from '../../src/auth/password.js';
import { loadConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server.js';
import { createMachine } from '../../src/store/machines.js';
import { tempDir, withTestDb } from '../helpers/app.js';
import { UA } from '../helpers/actors.js';
import { agentAlerts } from '../helpers/fixture-alerts.js';
import { cliEnv } from '../cli/helpers.js';
import { startReceiver } from '../notify/helpers.js';
import { startServe } from '../helpers/serve-process.js';

const banFor = (duration: string, extra = '') =>
  `name: ban_${duration}\nfilters:\n - Alert.Remediation == true\ndecisions:\n - type: ban\n   duration: ${duration}\n${extra}on_success: break\n`;

/**
 * A real server (in this process, on a real listener) started from a config file that names a profiles file
 * and a notification dir, logging into `lines`; a validated machine logged in over HTTP.
 */
async function reloadable(t: TestContext, profiles: string, notifiers: Record<string, string> = {}) {
  const dir = tempDir(t);
  const notifDir = join(dir, 'notifications');
  mkdirSync(notifDir);
  for (const [file, yaml] of Object.entries(notifiers)) writeFileSync(join(notifDir, file), yaml);
  const profilesPath = join(dir, 'profiles.yaml');
  writeFileSync(profilesPath, profiles);
  const configPath = join(dir, 'config.yaml');
  writeFileSync(
    configPath,
    withTestDb(
      `config_paths:\n  data_dir: ${join(dir, 'data')}\n  notification_dir: ${notifDir}\napi:\n  server:\n    listen_uri: 127.0.0.1:0\n    profiles_path: ${profilesPath}\n`,
    ),
  );
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  const server = await startServer(loadConfig({ path: configPath, env: {} }), logger);
  t.after(() => server.close());
  const password = 's3cr3t-but-long-enough';
  await createMachine(server.db, { machineId: 'web-01', passwordHash: await hashPassword(password), isValidated: true });
  const login = await fetch(`${server.url}/v1/watchers/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': UA },
    body: JSON.stringify({ machine_id: 'web-01', password }),
  });
  const { token } = (await login.json()) as { token: string };
  const auth = { authorization: `Bearer ${token}`, 'user-agent': UA };
  /** Pushes an agent alert for `ip` and returns the duration of the decision the profiles gave it. */
  const decisionDuration = async (ip: string): Promise<string> => {
    const push = await fetch(`${server.url}/v1/alerts`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(agentAlerts(ip)),
    });
    assert.equal(push.status, 201);
    const [id] = (await push.json()) as string[];
    const alert = (await (await fetch(`${server.url}/v1/alerts/${id}`, { headers: auth })).json()) as { decisions: { duration: string }[] };
    return alert.decisions[0]!.duration;
  };
  return { server, lines, dir, configPath, profilesPath, notifDir, decisionDuration };
}

test('reload: a changed profiles file decides the next alerts; a broken one, or one naming an unknown notifier, is refused and the previous profiles stay', async (t) => {
  const s = await reloadable(t, banFor('1h'));
  assert.match(await s.decisionDuration('192.0.2.1'), /^(59m5\d|1h0m0)s$/);

  writeFileSync(s.profilesPath, banFor('7h'));
  assert.deepEqual(await s.server.reload(), { reloaded: ['profiles (1)', 'notifications (0)', 'log level info'], restartNeeded: [] });
  assert.deepEqual(
    s.lines.filter((l) => /^reload/.test(String(l.msg))).map((l) => [l.level, l.msg]),
    [[30, 'reloaded: profiles (1), notifications (0), log level info']],
  );
  assert.match(await s.decisionDuration('192.0.2.2'), /^(6h59m5\d|7h0m0)s$/);

  writeFileSync(s.profilesPath, 'name: broken\nfilters: [\n');
  const broken = await s.server.reload();
  assert.deepEqual(broken.reloaded, []);
  assert.match(broken.error!, new RegExp(`^profiles: ${s.profilesPath}: `));
  assert.deepEqual(
    [s.lines.at(-1)!.level, s.lines.at(-1)!.msg],
    [50, `reload refused, the running configuration stays in effect: ${broken.error}`],
  );
  assert.match(await s.decisionDuration('192.0.2.3'), /^(6h59m5\d|7h0m0)s$/);

  writeFileSync(s.profilesPath, banFor('2h', 'notifications:\n - nowhere\n'));
  const unknown = await s.server.reload();
  assert.equal(unknown.error, `profiles: unknown notification 'nowhere' (not defined in ${s.notifDir})`);
  assert.match(await s.decisionDuration('192.0.2.4'), /^(6h59m5\d|7h0m0)s$/);
});

test('reload: keys that need a restart are named in a warning and not applied; reloads asked for together are coalesced', async (t) => {
  const s = await reloadable(t, banFor('1h'));
  const text = readFileSync(s.configPath, 'utf8');
  writeFileSync(
    s.configPath,
    text.replace('listen_uri: 127.0.0.1:0', 'listen_uri: 127.0.0.1:1').replace('  admin:\n', '  admin:\n    enabled: false\n'),
  );
  const report = await s.server.reload();
  assert.deepEqual(report.restartNeeded, ['api.server.listen_uri', 'api.admin.enabled']);
  assert.deepEqual(
    [s.lines.at(-1)!.level, s.lines.at(-1)!.msg],
    [40, 'not reloaded, a restart applies them: api.server.listen_uri, api.admin.enabled'],
  );
  // still where it started
  assert.equal((await fetch(`${s.server.url}/health`)).status, 200);

  const before = s.lines.filter((l) => /^reloaded: /.test(String(l.msg))).length;
  const [a, b, c] = [s.server.reload(), s.server.reload(), s.server.reload()];
  assert.equal(b, c);
  await Promise.all([a, b, c]);
  // the first runs, the two asked for while it ran share one more
  assert.equal(s.lines.filter((l) => /^reloaded: /.test(String(l.msg))).length, before + 2);
});

test('reload: a notifier file pointed at another receiver takes the next alerts; the previous receiver gets no more', async (t) => {
  const [first, second] = [await startReceiver(t), await startReceiver(t)];
  const notifier = (url: string) =>
    `type: http\nname: http_default\nformat: '{{range .}}{{.Source.IP}};{{end}}'\nurl: ${url}\nmethod: POST\n`;
  const s = await reloadable(t, banFor('1h', 'notifications:\n - http_default\n'), { 'http.yaml': notifier(first.url) });
  await s.decisionDuration('198.51.100.1');
  assert.deepEqual(
    (await first.waitFor(1, 3000)).map((r) => r.body),
    ['198.51.100.1;'],
  );

  writeFileSync(join(s.notifDir, 'http.yaml'), notifier(second.url));
  assert.deepEqual((await s.server.reload()).reloaded, ['profiles (1)', 'notifications (1)', 'log level info']);
  await s.decisionDuration('198.51.100.2');
  assert.deepEqual(
    (await second.waitFor(1, 3000)).map((r) => r.body),
    ['198.51.100.2;'],
  );
  assert.equal(first.requests.length, 1);
});

test('SIGHUP to lapis serve with a broken profiles file: one error line naming the file, the server goes on', async (t) => {
  const env = cliEnv(t, 'api:\n  server:\n    listen_uri: 127.0.0.1:0\n    profiles_path: PROFILES\n');
  const profiles = join(env.dir, 'profiles.yaml');
  writeFileSync(profiles, banFor('1h'));
  writeFileSync(env.configPath, readFileSync(env.configPath, 'utf8').replace('PROFILES', profiles));
  const serve = await startServe(t, env.configPath);
  assert.equal((await serve.hangup()).msg, 'reloaded: profiles (1), notifications (0), log level info');

  writeFileSync(profiles, 'name: broken\ndecisions:\n - type: ban\n   duration: forever\n');
  const refused = await serve.hangup();
  assert.equal(refused.level, 50);
  assert.match(
    String(refused.msg),
    new RegExp(`^reload refused, the running configuration stays in effect: profiles: ${profiles}: .*forever`),
  );
  assert.equal((await fetch(`http://${serve.address}/health`)).status, 200);
  assert.equal(serve.child.exitCode, null);
});
