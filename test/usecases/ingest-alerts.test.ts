import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAlerts } from '../../src/api/schemas/alert.js';
import { parseDecisionFilter } from '../../src/domain/decision-filter.js';
import { organizationId } from '../../src/store/instance.js';
import { searchAlerts } from '../../src/store/alerts.js';
import { parseAlertFilter } from '../../src/domain/alert-filter.js';
import { addItemsAndApply, createList, subscribe } from '../../src/usecases/allowlists.js';
import { ingestAlerts } from '../../src/usecases/ingest-alerts.js';
import { agentAlerts } from '../helpers/fixture-alerts.js';
import { cscliAlert } from '../helpers/actors.js';
import { openTestDeps } from './helpers.js';

test('ingestion drops the agent alerts an allowlist covers, keeps the rest and serves their decisions at once', async (t) => {
  const deps = await openTestDeps(t);
  const org = await organizationId(deps.db, deps.config.admin.organizationId);
  const list = await createList(deps, 'office', '');
  await subscribe(deps, list.id, 'org', [org], org);
  const actor = { source_type: 'apikey', identifier: 'test' } as const;
  await addItemsAndApply(deps, list.id, { values: ['192.0.2.0/24'], description: 'office', expiresAt: null, actor });

  const now = Date.now();
  const lines: string[] = [];
  const log = { info: (_obj: object, msg: string) => lines.push(msg) };
  // an agent's alert on an allowlisted source, one on another source, and cscli's own decision (kept as sent)
  const payload = [...agentAlerts('192.0.2.7'), ...agentAlerts('198.51.100.9'), cscliAlert('192.0.2.8')];
  const ids = await ingestAlerts(deps, 'web-01', parseAlerts(payload, now), log, now);

  assert.equal(ids.length, 2);
  assert.deepEqual(lines, ['alert dropped: its source is allowlisted']);
  const stored = await searchAlerts(deps.db, parseAlertFilter({}, now), now);
  assert.deepEqual(stored.map((a) => a.source.value).sort(), ['192.0.2.8', '198.51.100.9']);
  // settled before returning: the index already serves the profile's decision
  const served = deps.feed.index.query(parseDecisionFilter({ ip: '198.51.100.9' }), Date.now());
  assert.equal(served.length, 1);
  assert.equal(deps.feed.index.query(parseDecisionFilter({ ip: '192.0.2.7' }), Date.now()).length, 0);
});
