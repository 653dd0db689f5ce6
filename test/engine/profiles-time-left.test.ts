import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAlerts } from '../../src/api/schemas/alert.js';
import { loadProfiles } from '../../src/config/profiles.js';
import { ProfileRunner } from '../../src/engine/profiles.js';
import { buildTestApp, tempDir } from '../helpers/app.js';
import { addMachine, cscliAlert, login, pushAlerts } from '../helpers/actors.js';

// A profile that bans for as long as the value's current ban still runs: duration_expr reads the helper's text.
const EXTEND = `name: extend
filters:
 - Alert.GetScope() == "Ip"
decisions:
 - type: ban
   duration: 1h
duration_expr: GetActiveDecisionsTimeLeft(Alert.GetValue())
on_success: break
`;

test('GetActiveDecisionsTimeLeft keeps the milliseconds (upstream returns the remaining time unrounded)', async (t) => {
  const ta = await buildTestApp(t);
  await addMachine(ta);
  const token = await login(ta);
  await pushAlerts(ta, token, [cscliAlert('192.0.2.7', { duration: '4h' })]);
  const [row] = await ta.db.selectFrom('decisions').select('until').execute();
  const until = Number(row!.until);

  const path = join(tempDir(t), 'profiles.yaml');
  writeFileSync(path, EXTEND);
  const runner = new ProfileRunner(loadProfiles(path));
  for (const [left, text] of [
    [4 * 3600_000 - 400, '3h59m59.6s'],
    [61_250, '1m1.25s'],
    [999, '999ms'],
  ] as const) {
    const now = until - left;
    const { decisions: _, ...agentAlert } = cscliAlert('192.0.2.7', { stopAt: new Date(now).toISOString() });
    const [alert] = parseAlerts([{ ...agentAlert, decisions: [] }], now);
    const outcome = await runner.apply(ta.db, [alert!], now);
    assert.deepEqual(outcome.matchedBy, ['extend']);
    assert.equal(alert!.decisions.length, 1);
    assert.equal(alert!.decisions[0]!.until - alert!.stoppedAt, left, `${text} left`);
  }
});
