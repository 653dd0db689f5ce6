import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadProfiles } from '../../src/config/profiles.js';
import { buildTestApp, tempDir } from '../helpers/app.js';
import { addBouncer, addMachine, bouncerGet, login, pushAlerts } from '../helpers/actors.js';
import { agentAlerts } from '../helpers/fixture-alerts.js';
import type { After } from '../helpers/context.js';
import { startReceiver } from '../notify/helpers.js';

const ESCALATION = `name: escalating_ban
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Ip"
decisions:
 - type: ban
   duration: 4h
duration_expr: Sprintf('%dh', (GetDecisionsCount(Alert.GetValue()) + 1) * 4)
on_success: break
`;

test('an agent alert without decisions ends with a 4h ban from the default profiles, in query and stream mode', async (t) => {
  const ta = await buildTestApp(t);
  await addMachine(ta);
  const token = await login(ta);
  const key = await addBouncer(ta);
  assert.deepEqual(await pushAlerts(ta, token, agentAlerts()), ['1']);
  const q = await bouncerGet(ta, key, '/v1/decisions?ip=1.1.1.172');
  assert.match(
    q.body,
    /^\[\{"duration":"(3h59m5\d|4h0m0)s","id":1,"origin":"crowdsec","scenario":"crowdsecurity\/ssh-bf","scope":"Ip","type":"ban","value":"1.1.1.172"\}\]$/,
  );
  const s = JSON.parse((await bouncerGet(ta, key, '/v1/decisions/stream?startup=true')).body) as { new: { value: string }[] };
  assert.deepEqual(
    s.new.map((d) => d.value),
    ['1.1.1.172'],
  );
});

test('escalation: the same IP alerted three times gets 4h, 8h, then 12h', async (t) => {
  const path = join(tempDir(t), 'profiles.yaml');
  writeFileSync(path, ESCALATION);
  const tb = await buildTestApp(t, { yaml: `api:\n  server:\n    profiles_path: ${path}\n` });
  await addMachine(tb);
  const token = await login(tb);
  const durations: string[] = [];
  for (let i = 0; i < 3; i++) {
    const [id] = await pushAlerts(tb, token, agentAlerts('203.0.113.9'));
    const a = (await tb.app.inject({ method: 'GET', url: `/v1/alerts/${id}`, headers: { authorization: `Bearer ${token}` } })).json() as {
      decisions: { duration: string; origin: string }[];
    };
    durations.push(a.decisions[0]!.duration);
  }
  assert.match(durations[0]!, /^(3h59m5\d|4h0m0)s$/);
  assert.match(durations[1]!, /^(7h59m5\d|8h0m0)s$/);
  assert.match(durations[2]!, /^(11h59m5\d|12h0m0)s$/);
});

test('alerts that arrive with decisions keep them; simulated alerts get simulated decisions; a failing filter never fails the push', async (t) => {
  const path = join(tempDir(t), 'profiles.yaml');
  writeFileSync(
    path,
    `name: broken\nfilters:\n - Alert.Source.Nope.Deeper == 1\ndecisions:\n - type: captcha\non_success: break\n---\n${ESCALATION}`,
  );
  const ta = await buildTestApp(t, { yaml: `api:\n  server:\n    profiles_path: ${path}\n` });
  await addMachine(ta);
  const token = await login(ta);
  const key = await addBouncer(ta);
  const withDecision = {
    ...agentAlerts('192.0.2.5')[0],
    decisions: [{ duration: '1h', origin: 'crowdsec', scenario: 'crowdsecurity/ssh-bf', scope: 'Ip', type: 'captcha', value: '192.0.2.5' }],
  };
  const simulated = { ...agentAlerts('192.0.2.6')[0], simulated: true };
  assert.deepEqual(await pushAlerts(ta, token, [withDecision, simulated]), ['1', '2']);
  const live = JSON.parse((await bouncerGet(ta, key, '/v1/decisions')).body) as { type: string; value: string }[];
  assert.deepEqual(
    live.map((d) => [d.type, d.value]),
    [['captcha', '192.0.2.5']],
  );
  const withSimulated = JSON.parse((await bouncerGet(ta, key, '/v1/decisions?simulated=true')).body) as { value: string }[];
  assert.deepEqual(
    withSimulated.map((d) => d.value),
    ['192.0.2.5', '192.0.2.6'],
  );
});

test('profiles.yaml errors fail at load, naming the profile and the field', (t) => {
  const dir = tempDir(t);
  const cases: [string, RegExp][] = [
    ['name: p1\nfilters:\n - Alert.GetScope( == "Ip"\n', /profile 'p1': filters\[0\]: .*1:\d+/],
    ['name: p2\nfilterz: []\n', /profile 'p2': filterz: unknown key/],
    ['name: p3\non_success: stop\n', /profile 'p3': on_success: must be one of break, continue/],
    ['name: p4\ndecisions:\n - type: ban\n   duration: 4x\n', /profile 'p4': decisions\[0\]\.duration: time: unknown unit "x"/],
  ];
  for (const [text, re] of cases) {
    const p = join(dir, 'profiles.yaml');
    writeFileSync(p, text);
    assert.throws(
      () => loadProfiles(p),
      (err: Error) => re.test(err.message),
      text,
    );
  }
  assert.equal(loadProfiles(undefined).length, 2);
});

/**
 * A config text whose profiles file holds `profile` and whose notification dir holds `plugins` (file name →
 * plugin YAML), both written in a temp dir.
 */
function withNotifications(t: After, plugins: Record<string, string>, profile: string): string {
  const dir = tempDir(t);
  const notifDir = join(dir, 'notifications');
  mkdirSync(notifDir);
  for (const [file, yaml] of Object.entries(plugins)) writeFileSync(join(notifDir, file), yaml);
  const profiles = join(dir, 'profiles.yaml');
  writeFileSync(profiles, profile);
  return `api:\n  server:\n    profiles_path: ${profiles}\nconfig_paths:\n  notification_dir: ${notifDir}\n`;
}

test('a profile notification reaches a real HTTP receiver, and a dead one never slows ingestion', async (t) => {
  const receiver = await startReceiver(t);
  const yaml = withNotifications(
    t,
    {
      'http.yaml': `type: http\nname: http_default\nformat: |\n  {{range .}}{{.Scenario}} {{.Source.IP}};{{end}}\nurl: ${receiver.url}\nmethod: POST\n`,
      'dead.yaml': `type: http\nname: dead\nformat: '{{.|toJson}}'\nurl: http://127.0.0.1:1/none\ntimeout: 1s\nmax_retry: 0\n`,
    },
    `name: notify\nfilters:\n - Alert.Remediation == true\ndecisions:\n - type: ban\n   duration: 1h\nnotifications:\n - http_default\n - dead\non_success: break\n`,
  );
  const ta = await buildTestApp(t, { yaml });
  await addMachine(ta);
  const token = await login(ta);
  await pushAlerts(ta, token, agentAlerts('198.51.100.77'));
  const received = await receiver.waitFor(1, 2000);
  assert.deepEqual(
    received.map((r) => r.body),
    ['crowdsecurity/ssh-bf 198.51.100.77;\n'],
  );
});

test('a slow notification receiver does not slow the ingestion of 1,000 alerts', async (t) => {
  // the receiver answers after 2 s: notifications queue up (and overflow) while agents keep pushing
  const receiver = await startReceiver(t, () => ({ status: 200, delayMs: 2000 }));
  const withNotify = withNotifications(
    t,
    { 'slow.yaml': `type: http\nname: slow\nformat: '{{.|toJson}}'\nurl: ${receiver.url}\ntimeout: 10s\nmax_retry: 0\n` },
    `name: notify\nfilters:\n - Alert.Remediation == true\ndecisions:\n - type: ban\n   duration: 1h\nnotifications:\n - slow\non_success: break\n`,
  );
  const ingest = async (yaml: string) => {
    const ta = await buildTestApp(t, { yaml });
    await addMachine(ta);
    const token = await login(ta);
    const started = performance.now();
    for (let batch = 0; batch < 10; batch++) {
      const alerts = Array.from({ length: 100 }, (_, i) => agentAlerts(`10.9.${batch}.${i}`)[0]!);
      assert.equal((await pushAlerts(ta, token, alerts)).length, 100);
    }
    return { ms: performance.now() - started, ta };
  };
  const baseline = await ingest('');
  const slow = await ingest(withNotify);
  // generous: not a benchmark, only a guard against ingestion waiting on the receiver (which would take 2 s per alert)
  assert.ok(
    slow.ms < baseline.ms * 3 + 2000,
    `ingestion took ${slow.ms.toFixed(0)} ms with a slow receiver, ${baseline.ms.toFixed(0)} ms without`,
  );
  // every alert was stored and banned all the same
  assert.equal((await slow.ta.db.selectFrom('decisions').select('id').execute()).length, 1000);
});
