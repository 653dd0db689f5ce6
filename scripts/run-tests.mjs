#!/usr/bin/env node
// Runs the compiled tests with node's test runner: every suite on SQLite, then the suites that touch a
// database again on PostgreSQL and MariaDB/MySQL when those answer on 127.0.0.1 (set
// LAPIS_TEST_DIALECTS=sqlite to skip them, or to a list to require them).
// Node 20 has no glob support in `--test`, so the files are listed here.
// Usage: node scripts/run-tests.mjs [filter-substring]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../dist/test', import.meta.url).pathname;
const filter = process.argv[2] ?? '';
/** LAPIS_TEST_SKIP=substring leaves out the matching files (see .ci/run). */
const skip = process.env.LAPIS_TEST_SKIP || '';
/** Suites that exercise the store; pure ones (domain, config…) run once. */
const DB_SUITES = ['/api/', '/clients/', '/cli/', '/store/', '/engine/', '/usecases/', '/nodes/', '/reliability/fuzz'];

const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && p.includes(filter) && !(skip && p.includes(skip))) files.push(p);
  }
})(root);
if (files.length === 0) {
  console.error(`no test files under ${root}${filter ? ` matching '${filter}'` : ''}`);
  process.exit(1);
}

// the probe and the templates (each engine is migrated once, into a template the test apps clone) are the tests' own helpers
const { engineAnswers } = await import(join(root, 'helpers/dialect.js'));
const { TEMPLATE_ENV, createTemplate, dropTemplate } = await import(join(root, 'helpers/db-template.js'));

const required = process.env.LAPIS_TEST_DIALECTS?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const dialects = ['sqlite'];
for (const d of ['postgres', 'mysql']) {
  if (required && !required.includes(d)) continue;
  if (engineAnswers(d)) dialects.push(d);
  else if (required) {
    console.error(`${d} is required (LAPIS_TEST_DIALECTS) but does not answer on 127.0.0.1`);
    process.exit(1);
  } else console.error(`note: ${d} does not answer on 127.0.0.1; its suites are skipped`);
}

let failed = false;
const totals = { passed: 0, failed: 0, skipped: 0 };
const tapDir = mkdtempSync(join(tmpdir(), 'lapis-tap-'));
// every response the apps send during the run is checked against the OpenAPI documents (src/api/openapi/check.ts):
// the test processes, and the `lapis serve` processes they spawn, append each mismatch to this directory
const checkDir = mkdtempSync(join(tmpdir(), 'lapis-openapi-check-'));
const templates = new Map();
for (const dialect of dialects) {
  const list = dialect === 'sqlite' ? files : files.filter((f) => DB_SUITES.some((s) => f.includes(s)));
  if (list.length === 0) continue;
  const env = { ...process.env, NODE_NO_WARNINGS: '1', LAPIS_TEST_DIALECT: dialect, LAPIS_OPENAPI_CHECK: checkDir };
  if (list.some((f) => DB_SUITES.some((s) => f.includes(s)))) {
    templates.set(dialect, await createTemplate(dialect, tapDir));
    env[TEMPLATE_ENV[dialect]] = templates.get(dialect);
  }
  console.log(`\n== ${dialect}: ${list.length} test files`);
  const tap = join(tapDir, `${dialect}.tap`);
  const r = spawnSync(
    process.execPath,
    [
      '--test',
      '--test-concurrency=2',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...list,
    ],
    { stdio: 'inherit', env },
  );
  if (r.status !== 0) failed = true;
  const text = readFileSync(tap, 'utf8');
  const count = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  totals.passed += count('pass');
  totals.failed += count('fail') + count('cancelled');
  totals.skipped += count('skipped');
}
for (const [dialect, template] of templates) dropTemplate(dialect, template);
rmSync(tapDir, { recursive: true, force: true });
const violationsFile = join(checkDir, 'violations.jsonl');
const violations = existsSync(violationsFile) ? readFileSync(violationsFile, 'utf8').split('\n').filter(Boolean) : [];
rmSync(checkDir, { recursive: true, force: true });
if (violations.length > 0) {
  // the same mismatch is usually seen many times: each once, with how often
  const seen = new Map();
  for (const line of violations) {
    const v = JSON.parse(line);
    const key = `${v.method} ${v.url} ${v.status}: ${v.error}`;
    if (!seen.has(key)) seen.set(key, { n: 0, body: v.body });
    seen.get(key).n++;
  }
  console.log(`\n${violations.length} responses do not match the OpenAPI documents (src/api/openapi/check.ts):`);
  for (const [key, { n, body }] of seen) console.log(`  ${key} (${n}x) body: ${body.slice(0, 200)}`);
  failed = true;
}
console.log(`\nall engines (${dialects.join(', ')}):`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failed || totals.failed > 0 ? 1 : 0);
