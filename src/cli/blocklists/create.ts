import type { Blocklist } from '../../domain/blocklist.js';
import { formatGoDuration } from '../../domain/duration.js';
import { validateFeedUrl } from '../../engine/feed-fetch.js';
import { createBlocklist } from '../../usecases/blocklists.js';
import type { Db } from '../../store/db.js';
import { durationFlag, stringFlag, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';
import { showBlocklist } from './common.js';

/** The shortest refresh: the feed job looks for due feeds once a minute (engine/feed-job.ts FEED_TICK_MS). */
const MIN_REFRESH_MS = 60_000;
const DEFAULT_REFRESH_MS = 3_600_000;

export interface BlocklistsCreateOptions {
  description?: string | undefined;
  label?: string | undefined;
  /** A URL to follow (http or https): the list's content comes from it, refreshed every `refreshMs`. */
  url?: string | undefined;
  refreshMs?: number | undefined;
}

/**
 * `lapis blocklists create`: a new empty list (`custom`), or one that follows a URL (`feed`, filled by the
 * server's feed job). Nothing subscribes to it yet. Throws InvalidValueError for a URL that is not http(s),
 * ConflictError `blocklist 'NAME' already exists`.
 */
export async function blocklistsCreate(db: Db, name: string, o: BlocklistsCreateOptions = {}, now = Date.now()): Promise<Blocklist> {
  if (name.trim() === '' || name.length > 200) throw new CliError('a blocklist name must be 1 to 200 characters');
  if (o.refreshMs !== undefined && o.url === undefined) throw new CliError('--refresh needs --url');
  const refreshMs = o.refreshMs ?? DEFAULT_REFRESH_MS;
  if (refreshMs < MIN_REFRESH_MS) throw new CliError(`the refresh interval must be at least 1m, got ${formatGoDuration(refreshMs)}`);
  const feed = o.url === undefined ? null : { url: validateFeedUrl(o.url).href, refreshMs };
  return createBlocklist({ db }, { name, label: o.label ?? name, description: o.description ?? '', references: [], tags: [], feed }, now);
}

export const createCommand: LeafCommand = {
  name: 'create',
  usage: 'NAME',
  summary: 'Create a new blocklist',
  description:
    'Create a new blocklist: empty (fill it with add or import), or following a URL (--url: a plain-text feed of one IP or CIDR per line, fetched by the server every --refresh).\nNothing is served until something subscribes to it (lapis blocklists subscribe).',
  examples: [
    "lapis blocklists create scanners -d 'known scanners'",
    'lapis blocklists create firehol_level1 --url https://iplists.firehol.org/files/firehol_level1.netset --refresh 6h',
  ],
  flags: {
    description: { type: 'string', short: 'd', description: 'description of the blocklist' },
    label: { type: 'string', description: 'label of the blocklist (default: its name)' },
    url: { type: 'string', description: 'follow this http(s) URL: a plain-text list of IPs and CIDRs' },
    refresh: { type: 'string', valueName: 'duration', description: 'how often the URL is fetched (at least 1m)', defaultText: '1h' },
  },
  args: { min: 1, max: 1 },
  async run(ctx, [name], flags) {
    const refreshMs = stringFlag(flags, 'refresh') === undefined ? undefined : durationFlag(flags, 'refresh', undefined, 0);
    const list = await withDb(ctx, (db) =>
      blocklistsCreate(db, name!, {
        description: stringFlag(flags, 'description'),
        label: stringFlag(flags, 'label'),
        url: stringFlag(flags, 'url'),
        refreshMs,
      }),
    );
    if (ctx.out.format === 'json') return ctx.out.json(showBlocklist(list, 0, []));
    ctx.out.line(`blocklist '${name}' created successfully`);
  },
};
