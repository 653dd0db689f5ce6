import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCrlFile } from '../src/auth/tls-crl.js';

/**
 * How long `crl_path` takes to load: a CRL of `--entries` revoked serials (each with a reason code,
 * as `openssl ca` writes them) made with openssl in a temp dir, then parsed `--runs` times, each in a
 * fresh process so that heap figures do not add up. Not a test: run it by hand (docs/performance.md).
 *
 *   npm run build && node --expose-gc dist/bench/crl-load.js --entries 100000
 */
const { values } = parseArgs({
  options: { entries: { type: 'string', default: '100000' }, runs: { type: 'string', default: '3' }, file: { type: 'string' } },
});

function makeCrl(dir: string, entries: number): string {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=bench');
  const lines: string[] = [];
  for (let i = 0; i < entries; i++) {
    const serial = (0x100000 + i * 7919).toString(16).toUpperCase().padStart(16, '0');
    lines.push(['R', '301231235959Z', '250101000000Z,keyCompromise', serial, 'unknown', `/CN=c${i}`].join('\t'));
  }
  writeFileSync(join(dir, 'index.txt'), `${lines.join('\n')}\n`);
  const cnf =
    '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\ncertificate=ca.pem\nprivate_key=ca.key\ndefault_md=sha256\ndefault_crl_days=7\n';
  writeFileSync(join(dir, 'ca.cnf'), cnf);
  run('ca', '-config', 'ca.cnf', '-gencrl', '-out', 'crl.pem');
  return join(dir, 'crl.pem');
}

/** One load, in this process: CPU and wall time, heap growth and what stays reachable, peak RSS. */
function measure(path: string): void {
  const content = readFileSync(path);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const crls = parseCrlFile(content);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const heapPeak = process.memoryUsage().heapUsed;
  gc?.();
  const mb = (n: number) => Math.round(n / 1e6);
  const report = {
    revoked: crls.reduce((n, c) => n + c.revoked.size, 0),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    wallMs: Math.round(wallMs),
    heapGrowthMB: mb(heapPeak - heap0),
    retainedMB: gc ? mb(process.memoryUsage().heapUsed - heap0) : undefined,
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  console.log(JSON.stringify(report));
}

if (process.env.CRL_LOAD_CHILD) measure(process.env.CRL_LOAD_CHILD);
else {
  const dir = mkdtempSync(join(tmpdir(), 'lapis-crl-'));
  try {
    const path = values.file ?? makeCrl(dir, Number(values.entries));
    for (let i = 0; i < Number(values.runs); i++) {
      execFileSync(process.execPath, ['--expose-gc', process.argv[1]!], {
        env: { ...process.env, CRL_LOAD_CHILD: path },
        stdio: 'inherit',
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
