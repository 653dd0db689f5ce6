import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { profilesCheck } from '../../src/cli/profiles/check.js';
import { profilesTest } from '../../src/cli/profiles/test.js';
import { usingDb } from '../../src/store/db.js';
import { tempDir, testDbConfig } from '../helpers/app.js';
import { fixture } from '../helpers/fixture-alerts.js';

test('profiles check loads the embedded defaults or a file, and refuses a bad one naming the field', (t) => {
  assert.deepEqual(
    profilesCheck(undefined).map((p) => p.name),
    ['default_ip_remediation', 'default_range_remediation'],
  );
  const dir = tempDir(t);
  const path = join(dir, 'profiles.yaml');
  writeFileSync(path, 'name: p\nfilters:\n - Alert.GetScope() ==\n');
  assert.throws(() => profilesCheck(path), /profile 'p': filters\[0\]: .*\(1:\d+\)/);
});

test('profiles test shows the matching profile and its decisions, and stores nothing', async (t) => {
  const dir = tempDir(t);
  const config = testDbConfig(dir);
  const alert = JSON.stringify(fixture('crowdsec-1.4.6-ssh-bf-alerts.json'));
  await usingDb(config.db, async (db) => {
    const trials = await profilesTest(db, undefined, alert);
    assert.deepEqual(trials, [
      {
        scenario: 'crowdsecurity/ssh-bf',
        source: 'Ip:1.1.1.172',
        matchedBy: 'default_ip_remediation',
        notifications: [],
        decisions: [{ type: 'ban', scope: 'Ip', value: '1.1.1.172', duration: '4h0m0s', origin: 'crowdsec', simulated: false }],
      },
    ]);
    assert.equal((await db.selectFrom('alerts').select('id').execute()).length, 0);
    await assert.rejects(profilesTest(db, undefined, '{'), /the alert file is not JSON/);
    await assert.rejects(
      profilesTest(db, undefined, '[{"scenario":"x"}]'),
      /invalid alert: validation failure list:; 0.scenario_hash in body is required/,
    );
  });
});
