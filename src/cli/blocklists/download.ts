import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { NO_LAPI_FILTER, type Blocklist, type LapiListFilter } from '../../domain/blocklist.js';
import { DecisionIndex } from '../../engine/decision-index.js';
import { downloadChunks } from '../../usecases/blocklist-content.js';
import type { Db } from '../../store/db.js';
import { stringFlag, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { loadActiveIndex, requireBlocklistByName } from './common.js';

/**
 * `lapis blocklists download`: a list's live entries, one per line in address order, as the admin API's
 * download serves them, written chunk by chunk to `write`. The built-in `lapi` list is read from the active
 * decisions, loaded into a fresh index as the server does at start. Returns the number of entries.
 * Throws CliError `blocklist 'NAME' not found`.
 */
export async function blocklistsDownload(
  db: Db,
  name: string,
  write: (chunk: string) => Promise<void> | void,
  now = Date.now(),
  lapiFilter: LapiListFilter = NO_LAPI_FILTER,
): Promise<number> {
  const list: Blocklist = await requireBlocklistByName(db, name);
  const index = list.kind === 'lapi' ? await loadActiveIndex(db, now) : new DecisionIndex();
  let n = 0;
  for await (const chunk of downloadChunks({ db, index, lapiFilter }, list, now)) {
    for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', i + 1)) n++;
    await write(chunk);
  }
  return n;
}

export const downloadCommand: LeafCommand = {
  name: 'download',
  usage: 'NAME',
  summary: "Download a blocklist's content as text",
  description:
    "Print a blocklist's live entries, one IP or CIDR per line in address order (what the admin API's download serves), or write them to a file with -f.\n(-f, not -o: -o is the output format of every command.)",
  examples: ['lapis blocklists download scanners > scanners.txt', 'lapis blocklists download lapi -f /var/lib/lapis/lapi.txt'],
  flags: {
    file: { type: 'string', short: 'f', description: 'write to this file rather than to stdout' },
  },
  args: { min: 1, max: 1 },
  async run(ctx, [name], flags) {
    if (ctx.out.format === 'json') throw new CliError("output format 'json' not supported for this command");
    const file = stringFlag(flags, 'file');
    if (file === undefined || file === '-') {
      await withDb(ctx, (db, config) => blocklistsDownload(db, name!, (c) => ctx.out.out(c), Date.now(), config.admin.lapiFilter));
      return;
    }
    const n = await withDb(ctx, async (db, config) => {
      // the file is opened once the list is known to exist, so that a wrong name leaves no empty file
      await requireBlocklistByName(db, name!);
      const stream = createWriteStream(file);
      try {
        await once(stream, 'open');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new CliError(`open ${file}: ${code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
      }
      try {
        const count = await blocklistsDownload(
          db,
          name!,
          async (c) => {
            if (!stream.write(c)) await once(stream, 'drain');
          },
          Date.now(),
          config.admin.lapiFilter,
        );
        stream.end();
        await once(stream, 'finish');
        return count;
      } finally {
        if (!stream.writableFinished) stream.destroy();
      }
    });
    ctx.out.info(`${n} entries of blocklist '${name}' written to '${file}'`);
  },
};
