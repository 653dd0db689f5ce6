#!/usr/bin/env node
import './warnings.js';
import { createInterface } from 'node:readline/promises';
import type { CliIo } from './context.js';
import { runCli } from './run.js';

/** Asks on the terminal (the prompt on stderr, so that stdout stays the command's result). */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** SIGHUP asks for a reload: while a listener is set, it no longer ends the process. */
function onHangup(listener: () => void): () => void {
  process.on('SIGHUP', listener);
  return () => process.off('SIGHUP', listener);
}

const io: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  confirm: process.stdin.isTTY ? confirm : undefined,
  untilStopped,
  onHangup,
};

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => (stream.writableLength === 0 ? resolve() : stream.write('', () => resolve())));
}

// a reader that goes away (`lapis … | head`) ends the command quietly, as it would any Unix tool
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  process.stderr.write(`Error: ${err.message}\n`);
  process.exit(1);
});

const code = await runCli(process.argv.slice(2), io);
// exit now that the output is out: nothing (keep-alive sockets, timers) should hold a finished command open
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
