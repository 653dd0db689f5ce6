import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { withCpu } from '../child.js';
import { runLoad } from '../load.js';
import { fmt, log, type Row } from '../report.js';
import type { QueryPhase } from './query.js';

// The limit of this machine and this load generator: a node:http server that answers every request with the
// body a clean query gets (`null`), with no routing, parsing or lookup. Query throughput is reported as a ratio
// to it, measured in the same run, so the figure means the same on a quiet and on a busy machine.
const HELLO = `
const http = require('node:http');
const s = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': '4' });
  res.end('null');
});
s.keepAliveTimeout = 60_000;
s.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: s.address().port }) + '\\n'));
process.stdin.on('end', () => process.exit(0)).resume();
`;

/** A hello-world node:http server under the query phase's load; rows with its throughput and the ratios to it. */
export async function baselinePhase(queried: QueryPhase): Promise<Row[]> {
  const child = spawn(process.execPath, ['-e', HELLO], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const { port } = JSON.parse(line) as { port: number };
    log(`hello-world node:http server: ${queried.load.connections} connections for ${queried.load.seconds} s…`);
    const reqs = queried.bannedReqs;
    const r = await withCpu(child.pid!, () => runLoad({ ...queried.load, port, request: (i) => reqs[i % reqs.length]! }));
    log(`  ${fmt(r.rps)} req/s`);
    const ratio = (rps: number) => (r.rps > 0 ? rps / r.rps : 0);
    return [
      { measure: 'hello-world node:http (same load): throughput', value: `${fmt(r.rps)} req/s`, target: '' },
      {
        measure: 'query banned IP / hello-world',
        value: ratio(queried.bannedRps).toFixed(2),
        target: '>= 0.70',
        ok: ratio(queried.bannedRps) >= 0.7,
      },
      {
        measure: 'query clean IP / hello-world',
        value: ratio(queried.cleanRps).toFixed(2),
        target: '>= 0.70',
        ok: ratio(queried.cleanRps) >= 0.7,
      },
    ];
  } finally {
    child.stdin!.end();
    child.kill();
  }
}
