// `npm run bench` runs this file (package.json: node dist/bench/lapi-bench.js); the benchmark is bench/run.ts.
import './run.js';
