import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { runCli } from '../../src/cli/run.js';
import { createMachine } from '../../src/store/machines.js';
import { hashPassword } from '../../src/auth/password.js';
import { capture } from '../cli/helpers.js';
import { startTestServer } from '../helpers/server.js';

const run = promisify(execFile);
const hasCurl = await run('curl', ['--version']).then(
  () => true,
  () => false,
);

/** `curl -i …` as the seed writes it, against the real admin listener: the status line and the JSON body. */
async function curl(command: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const { stdout } = await run('sh', ['-c', `curl -s ${command}`]);
  const [head, ...body] = stdout.split('\r\n\r\n');
  return {
    status: Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head!)![1]),
    json: body.join('').trim() === '' ? {} : (JSON.parse(body.join('')) as Record<string, unknown>),
  };
}

test("seed 003's curl commands, as written, against `lapis serve`'s admin listener with a key from `lapis apikeys add`", {
  skip: !hasCurl && 'no curl',
}, async (t) => {
  const srv = await startTestServer(t);
  const c = capture({ env: { LAPIS_DATA_DIR: join(srv.dir, 'data') } });
  assert.equal(
    await runCli(['apikeys', 'add', 'test-key-for-monitoring', '-o', 'raw', '-c', join(srv.dir, 'config.yaml')], c.io),
    0,
    c.stderr(),
  );
  const KEY = c.stdout().trim();
  await createMachine(srv.db, {
    machineId: 'SECENGINEID5678',
    passwordHash: await hashPassword('a-long-password-here'),
    isValidated: true,
  });
  const base = srv.adminUrl!;

  const created = await curl(
    `-i -H 'x-api-key: ${KEY}' -X POST -H 'Content-Type: application/json' '${base}/v1/allowlists' -d '{ "name":"my_test_allowlist", "description": "testing allowlists feature" }'`,
  );
  assert.equal(created.status, 201);
  assert.equal(created.json.name, 'my_test_allowlist');
  assert.equal(created.json.total_items, 0);
  const id = created.json.id as string;

  const listed = await curl(`-i -H 'x-api-key: ${KEY}' -H 'Content-Type: application/json' '${base}/v1/allowlists'`);
  assert.equal(listed.status, 200);
  assert.deepEqual([listed.json.total, listed.json.page, listed.json.size, listed.json.pages], [1, 1, 50, 1]);

  const added = await curl(
    `-i -H 'x-api-key: ${KEY}' -X POST -H 'Content-Type: application/json' '${base}/v1/allowlists/${id}/items' -d '{ "items": ["1.2.3.4", "5.6.7.8"], "description": "allow my office ips"}'`,
  );
  assert.equal(added.status, 201);

  const items = await curl(`-i -H 'x-api-key: ${KEY}' -H 'Content-Type: application/json' '${base}/v1/allowlists/${id}/items'`);
  assert.equal(items.status, 200);
  const first = (items.json.items as Record<string, unknown>[])[0]!;
  assert.deepEqual(
    [first.value, first.scope, first.created_by],
    ['1.2.3.4', 'ip', { source_type: 'apikey', identifier: 'test-key-for-monitoring' }],
  );

  const patched = await curl(
    `-i -H 'x-api-key: ${KEY}' -H 'Content-Type: application/json' '${base}/v1/allowlists/${id}/items/${first.id as string}' -X PATCH -d '{ "description": "allow my office ips for 1 day", "expiration": "2025-03-27T16:45:53" }'`,
  );
  assert.equal(patched.status, 200);
  assert.deepEqual(
    [patched.json.description, patched.json.expiration, patched.json.updated_by],
    ['allow my office ips for 1 day', '2025-03-27T16:45:53.000000Z', { source_type: 'apikey', identifier: 'test-key-for-monitoring' }],
  );

  const sub = await curl(
    `-i -H 'x-api-key: ${KEY}' -X POST -H 'Content-Type: application/json' '${base}/v1/allowlists/${id}/subscribers' -d '{ "ids": ["SECENGINEID5678"], "entity_type": "engine" }'`,
  );
  assert.equal(sub.status, 200);
  assert.deepEqual(sub.json, { updated: ['SECENGINEID5678'], errors: [] });
});
