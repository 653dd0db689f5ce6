#!/usr/bin/env node
// Runs every compiled test file with node's test runner. Node 20 has no glob support in `--test`,
// so the files are listed here. Usage: node scripts/run-tests.mjs [filter-substring]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/test', import.meta.url).pathname;
const filter = process.argv[2] ?? '';
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && p.includes(filter)) files.push(p);
  }
})(root);
if (files.length === 0) {
  console.error(`no test files under ${root}${filter ? ` matching '${filter}'` : ''}`);
  process.exit(1);
}
const args = ['--test', '--test-reporter=spec', '--test-concurrency=2', ...files];
const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
process.exit(r.status ?? 1);
