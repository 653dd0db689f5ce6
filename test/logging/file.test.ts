import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { cliEnv, runMain } from '../cli/helpers.js';
import { tempDir, testConfig } from '../helpers/app.js';
import { waitUntil } from '../helpers/wait.js';
import { openLogFile, pruneOldLogs } from '../../src/log-file.js';
import { openLogger } from '../../src/logger.js';
import { spawnServe } from './helpers.js';

test('common.log_*: defaults as upstream, file settings parsed, bad values named, syslog and text warned about', (t) => {
  const dir = tempDir(t);
  assert.deepEqual(testConfig(dir, '').log, { media: 'stdout' });
  assert.deepEqual(testConfig(dir, 'common:\n  log_media: file\n').log, {
    media: 'file',
    path: '/var/log/lapis.log',
    maxSizeMb: 500,
    maxFiles: 3,
    maxAgeDays: 28,
    compress: true,
  });
  // upstream's own config.yaml sets these; 0 means the default, as lumberjack's settings there
  const c = testConfig(
    dir,
    `common:\n  log_media: file\n  log_dir: ${dir}/\n  log_max_size: 20\n  log_max_files: 10\n  log_max_age: 0\n  compress_logs: false\n  log_format: json\n`,
  );
  assert.deepEqual(c.log, { media: 'file', path: join(dir, 'lapis.log'), maxSizeMb: 20, maxFiles: 10, maxAgeDays: 28, compress: false });
  assert.deepEqual(c.warnings, []);
  assert.deepEqual(testConfig(dir, 'common:\n  log_media: syslog\n  log_format: text\n').warnings, [
    'common.log_format: text is not supported: Lapis writes JSON lines',
    'common.log_media: syslog is not supported: Lapis logs to stdout (the journal, under systemd)',
  ]);
  for (const [yaml, message] of [
    ['log_media: journald', "config: common.log_media: unknown log media 'journald' (stdout or file)"],
    ['log_format: xml', "config: common.log_format: unknown log format 'xml' (json or text)"],
    ['log_max_size: -1', 'config: common.log_max_size: expected integer to be greater or equal to 0'],
    ['log_max_files: many', 'config: common.log_max_files: expected integer'],
    ['compress_logs: maybe', 'config: common.compress_logs: expected boolean'],
    ["log_media: file\n  log_dir: ''", 'config: common.log_dir: must not be empty with log_media: file'],
  ]) {
    assert.throws(() => testConfig(dir, `common:\n  ${yaml}\n`), { message }, yaml);
  }
});

test('lapis.log: rotated by size into lapis.log.1.gz…, no more than log_max_files kept, every line whole', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'lapis.log');
  const file = openLogFile({ path, maxSizeMb: 1, maxFiles: 2, maxAgeDays: 28, compress: true }, (err) => assert.fail(err));
  const line = `${JSON.stringify({ msg: 'x'.repeat(1000) })}\n`;
  // 3.5 MB: three rotations, of which the oldest falls past log_max_files
  for (let i = 0; i < 3500; i++) file.destination.write(line.replace('"msg"', `"n":${i},"msg"`));
  await file.close();
  assert.deepEqual(readdirSync(dir).sort(), ['lapis.log', 'lapis.log.1.gz', 'lapis.log.2.gz']);
  const numbers = (text: string) =>
    text
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { n: number }).n);
  const newest = numbers(gunzipSync(readFileSync(join(dir, 'lapis.log.1.gz'))).toString());
  const older = numbers(gunzipSync(readFileSync(join(dir, 'lapis.log.2.gz'))).toString());
  const live = numbers(readFileSync(path, 'utf8'));
  // consecutive, whole lines: the older file ends where the newer starts, and the live file goes on to the last
  assert.equal(older.at(-1)! + 1, newest[0]);
  assert.equal(newest.at(-1)! + 1, live[0]);
  assert.equal(live.at(-1), 3499);
  assert.ok(newest.length >= 1000 && newest.length <= 1100, String(newest.length));
});

test('log_max_age: rotated files older than it are removed at the next rotation; the live file and other files never', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'lapis.log');
  const old = (name: string, days: number) => {
    writeFileSync(join(dir, name), 'old\n');
    const when = (Date.now() - days * 86_400_000) / 1000;
    utimesSync(join(dir, name), when, when);
  };
  old('lapis.log.1', 3);
  old('lapis.log.2.gz', 40);
  old('lapis.log.backup', 40);
  old('other.log', 40);
  assert.deepEqual(pruneOldLogs(path, 30), ['lapis.log.2.gz']);
  old('lapis.log.2', 40);
  const file = openLogFile({ path, maxSizeMb: 1, maxFiles: 5, maxAgeDays: 30, compress: false }, (err) => assert.fail(err));
  const rotated = new Promise((r) => file.stream.once('rotated', r));
  for (let i = 0; i < 1100; i++) file.destination.write(`${JSON.stringify({ n: i, msg: 'y'.repeat(1000) })}\n`);
  await rotated;
  // the rotation shifted lapis.log.2 to .3 (it keeps its mtime); pruning runs once it is done
  await waitUntil(() => !existsSync(join(dir, 'lapis.log.3')), 3000, 'the 40-day-old file pruned');
  await file.close();
  assert.deepEqual(readdirSync(dir).sort(), ['lapis.log', 'lapis.log.1', 'lapis.log.2', 'lapis.log.backup', 'other.log']);
});

test('log_media: file with a missing or unwritable log_dir: serve fails at once, in one line naming the key', async (t) => {
  const env = cliEnv(t, `common:\n  log_media: file\n  log_dir: /nonexistent/lapis-logs\napi:\n  server:\n    listen_uri: 127.0.0.1:0\n`);
  const r = await runMain(['serve', '-c', env.configPath]);
  assert.deepEqual(
    [r.code, r.stdout, r.stderr],
    [1, '', 'Error: lapis serve: common.log_dir: /nonexistent/lapis-logs is not a directory\n'],
  );
  const dir = tempDir(t);
  mkdirSync(join(dir, 'lapis.log'));
  assert.throws(() => openLogger(testConfig(dir, `common:\n  log_media: file\n  log_dir: ${dir}\n`)), {
    message: `common.log_dir: cannot write ${join(dir, 'lapis.log')}: EISDIR`,
  });
});

test('lapis serve with log_media: file: JSON lines in <log_dir>/lapis.log, nothing on stdout, the stop line flushed on SIGTERM', async (t) => {
  const logDir = tempDir(t);
  const env = cliEnv(
    t,
    `common:\n  log_media: file\n  log_dir: ${logDir}\n  log_level: debug\napi:\n  server:\n    listen_uri: 127.0.0.1:0\n`,
  );
  const logFile = join(logDir, 'lapis.log');
  const server = await spawnServe(t, env.configPath, logFile);
  const health = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'probe-1' } });
  assert.equal(health.status, 200);
  assert.equal(await server.stop(), 0, server.stderr());
  assert.deepEqual([server.stdout(), server.stderr()], ['', '']);
  const lines = readFileSync(logFile, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const request = lines.find((l) => l.request_id === 'probe-1');
  assert.deepEqual([request?.msg, request?.url, request?.status], ['request', '/health', 200]);
  assert.deepEqual(
    lines.slice(-2).map((l) => l.msg),
    ['shutting down', 'Lapis Local API stopped'],
  );
});

test('SIGHUP with log_media: file: the new log level applies to the same file, which is not reopened', async (t) => {
  const logDir = tempDir(t);
  const yaml = (level: string) =>
    `common:\n  log_media: file\n  log_dir: ${logDir}\n  log_level: ${level}\napi:\n  server:\n    listen_uri: 127.0.0.1:0\n`;
  const env = cliEnv(t, yaml('info'));
  const logFile = join(logDir, 'lapis.log');
  const server = await spawnServe(t, env.configPath);
  await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'before' } });
  writeFileSync(env.configPath, readFileSync(env.configPath, 'utf8').replace('log_level: info', 'log_level: debug'));
  server.child.kill('SIGHUP');
  await waitUntil(() => readFileSync(logFile, 'utf8').includes('"msg":"reloaded'), 5000, 'the reload line');
  await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'after' } });
  assert.equal(await server.stop(), 0, server.stderr());
  const text = readFileSync(logFile, 'utf8');
  assert.equal(text.includes('"request_id":"before"'), false, 'no request line at info');
  assert.match(text, /"request_id":"after".*"msg":"request"/);
  assert.deepEqual(readdirSync(logDir), ['lapis.log']);
});
