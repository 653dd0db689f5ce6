/**
 * Imported first by main.ts, before anything can open the database: Node ≥ 22.5 warns that node:sqlite
 * is experimental the first time it loads, which is noise on every CLI run. That one warning is dropped;
 * every other warning is printed as Node prints it.
 */
if (!process.execArgv.includes('--no-warnings') && !process.env.NODE_NO_WARNINGS) {
  process.removeAllListeners('warning');
  process.on('warning', (w: Error & { code?: string }) => {
    if (w.name === 'ExperimentalWarning' && /sqlite/i.test(w.message)) return;
    process.stderr.write(`(node:${process.pid}) ${w.code ? `[${w.code}] ` : ''}${w.name}: ${w.message}\n`);
  });
}

export {};
