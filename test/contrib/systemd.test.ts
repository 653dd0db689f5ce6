import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const UNIT = fileURLToPath(new URL('../../../contrib/lapis.service', import.meta.url));
const ANALYZE = '/usr/bin/systemd-analyze';

test('contrib/lapis.service: systemd accepts it, and it runs `lapis serve` unprivileged and confined', async () => {
  const unit = readFileSync(UNIT, 'utf8');
  for (const line of ['User=lapis', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'CapabilityBoundingSet=', 'StateDirectory=lapis'])
    assert.ok(unit.split('\n').includes(line), line);
  assert.match(unit, /^ExecStart=.*\blapis serve$/m);
  // `systemctl reload lapis`: SIGHUP, which `lapis serve` answers by reloading (server.ts)
  assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  // V8 compiles code at run time: a W^X rule would kill it
  assert.doesNotMatch(unit, /MemoryDenyWriteExecute=yes/);
  if (!existsSync(ANALYZE)) return;
  const { stdout, stderr } = await run(ANALYZE, ['verify', UNIT]);
  assert.equal(`${stdout}${stderr}`.trim(), '');
});
