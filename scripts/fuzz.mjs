#!/usr/bin/env node
// `npm run fuzz`: the reliability suites (test/reliability) at volume, one file after the other, then one
// summary line. LAPIS_FUZZ_RUNS (default 300: 35 routes × 300 ≥ 10,000 requests), LAPIS_FUZZ_SEED and
// LAPIS_TEST_DIALECT (sqlite, postgres or mysql; default sqlite) pass through. Exit status: the tests'.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../dist/test/reliability/', import.meta.url).pathname;
const files = ['fuzz.test.js', 'http-abuse.test.js'].map((f) => join(root, f));
const dir = mkdtempSync(join(tmpdir(), 'lapis-fuzz-'));
const summary = join(dir, 'summary.jsonl');
const env = {
  ...process.env,
  NODE_NO_WARNINGS: '1',
  LAPIS_FUZZ_RUNS: process.env.LAPIS_FUZZ_RUNS ?? '300',
  LAPIS_TEST_DIALECT: process.env.LAPIS_TEST_DIALECT ?? 'sqlite',
  LAPIS_FUZZ_SUMMARY: summary,
};
const started = Date.now();
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: 'inherit', env });
let lines = [];
try {
  lines = readFileSync(summary, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
} catch {
  // a suite that failed before its end wrote no summary
}
rmSync(dir, { recursive: true, force: true });

const n = (x) => x.toLocaleString('en-US');
const total = lines.reduce((s, l) => s + l.requests, 0);
const byClass = {};
for (const l of lines) for (const [k, v] of Object.entries(l.byClass)) byClass[k] = (byClass[k] ?? 0) + v;
const rss = Math.max(0, ...lines.map((l) => l.serverPeakRssKb ?? 0));
const seed = lines.find((l) => l.seed !== undefined)?.seed;
console.log(
  `\nfuzz summary (${env.LAPIS_TEST_DIALECT}, seed ${seed ?? '?'}, ${env.LAPIS_FUZZ_RUNS} runs per route, ${lines.length}/${files.length} suites reported): ` +
    `${n(total)} requests; ${Object.entries(byClass)
      .map(([k, v]) => `${k} ${n(v)}`)
      .join(', ')}; ` +
    `server peak RSS ${rss ? `${(rss / 1024).toFixed(0)} MiB` : 'n/a'}; ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
process.exit(r.status ?? 1);
