/**
 * Summarises a V8 CPU profile (the `.cpuprofile` that `server-child.ts` or `node --cpu-prof` writes):
 * self time by package or source file, the top functions by self time, and the top Lapis functions by
 * total time. `node dist/bench/profile.js <file.cpuprofile> [rows]` prints it for a file.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + '/dist/'.length);
  return url.replace(/^file:\/\//, '');
}

/** Where a frame's code comes from: a package, a Lapis source file, node's internals, or V8 itself. */
function origin(f: CallFrame): string {
  if (!f.url) return f.functionName.startsWith('(') ? f.functionName : '(native)';
  if (f.url.startsWith('node:')) return 'node internals';
  const nm = f.url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = f.url.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const src = f.url.indexOf('/dist/src/');
  if (src >= 0) return `lapis ${f.url.slice(src + '/dist/'.length).replace(/\.js$/, '.ts')}`;
  return shortUrl(f.url);
}

const key = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;

export function summarizeProfile(p: CpuProfile, rows = 15): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const total = p.samples.length;
  const ms = (p.endTime - p.startTime) / 1000;
  const self = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const id of p.samples) {
    const node = byId.get(id);
    if (!node) continue;
    bump(self, key(node.callFrame));
    bump(byOrigin, origin(node.callFrame));
    const seen = new Set<string>();
    for (let at: number | undefined = id, depth = 0; at !== undefined && depth < 500; at = parent.get(at), depth++) {
      const f = byId.get(at)!.callFrame;
      if (!f.url.includes('/dist/src/')) continue;
      const k = key(f);
      if (!seen.has(k)) {
        seen.add(k);
        bump(inclusive, k);
      }
    }
  }
  const pct = (n: number) => `${((100 * n) / Math.max(1, total)).toFixed(1).padStart(5)}%`;
  const top = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, rows)
      .map(([k, n]) => `  ${pct(n)}  ${k}`);
  return [
    `${total} samples over ${(ms / 1000).toFixed(1)} s`,
    'self time by origin:',
    ...top(byOrigin),
    'top functions by self time:',
    ...top(self),
    'Lapis functions by total time (self + callees):',
    ...top(inclusive),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node dist/bench/profile.js <file.cpuprofile> [rows]\n');
    process.exit(2);
  }
  process.stdout.write(`${summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(process.argv[3] ?? 15))}\n`);
}
