// A/B: agent ingestion (one alert with one decision per POST, as agents send) on two builds of Lapis,
// alternated three times, 5 s per phase at 1 and 20 connections; prints alerts/s and the median ratio.
// Usage: node scripts/ab-ingest.mjs BEFORE/dist/src/cli/main.js AFTER/dist/src/cli/main.js
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
const [before, after] = process.argv.slice(2);
if (!before || !after) {
  console.error('usage: node scripts/ab-ingest.mjs BEFORE/dist/src/cli/main.js AFTER/dist/src/cli/main.js');
  process.exit(2);
}
const builds = { before, after };
async function run(_name, main, port) {
  const dir = mkdtempSync(join(tmpdir(), 'ab-'));
  const cfg = join(dir, 'c.yaml');
  writeFileSync(
    cfg,
    `api:\n  server:\n    listen_uri: 127.0.0.1:${port}\n  admin:\n    enabled: false\nconfig_paths:\n  data_dir: ${dir}\n`,
  );
  execFileSync(process.execPath, [main, 'machines', 'add', 'ab', '--password', 'a-long-password-for-ab', '-c', cfg], { stdio: 'ignore' });
  const child = spawn(process.execPath, [main, 'serve', '-c', cfg], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`${url}/health`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const { token } = await (
    await fetch(`${url}/v1/watchers/login`, {
      method: 'POST',
      headers: { 'user-agent': 'crowdsec/v1.7.8' },
      body: JSON.stringify({ machine_id: 'ab', password: 'a-long-password-for-ab' }),
    })
  ).json();
  let n = 0;
  const alert = () => {
    const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n++ & 255}`;
    const now = new Date().toISOString();
    return [
      {
        scenario: 'ab/test',
        scenario_hash: '',
        scenario_version: '',
        message: 'x',
        events_count: 1,
        start_at: now,
        stop_at: now,
        capacity: 0,
        leakspeed: '0',
        simulated: false,
        events: [],
        source: { scope: 'Ip', value: ip, ip },
        decisions: [{ duration: '4h', origin: 'crowdsec', scenario: 'ab/test', scope: 'Ip', type: 'ban', value: ip }],
      },
    ];
  };
  const post = async () => {
    const r = await fetch(`${url}/v1/alerts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(alert()),
    });
    await r.arrayBuffer();
    if (r.status !== 201) throw new Error(String(r.status));
  };
  const out = {};
  for (const conns of [1, 20]) {
    const end = Date.now() + 5000;
    let done = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: conns }, async () => {
        while (Date.now() < end) {
          await post();
          done++;
        }
      }),
    );
    out[conns] = Math.round(done / ((performance.now() - t0) / 1000));
  }
  child.kill('SIGKILL');
  return out;
}
const res = { before: [], after: [] };
let port = 18500;
for (let round = 0; round < 3; round++) for (const [name, main] of Object.entries(builds)) res[name].push(await run(name, main, port++));
const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const c of [1, 20])
  console.log(
    `${c} connection(s): before ${res.before.map((r) => r[c]).join('/')} after ${res.after.map((r) => r[c]).join('/')} alerts/s; median ratio after/before ${(med(res.after.map((r) => r[c])) / med(res.before.map((r) => r[c]))).toFixed(2)}`,
  );
console.log(
  'load average',
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' '),
);
