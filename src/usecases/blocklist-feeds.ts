import { parseIpOrRange } from '../domain/ip-range.js';
import type { FeedStore } from '../engine/feed-job.js';
import { allBlocklists, recordFeedCheck } from '../store/blocklists.js';
import { replaceFeedContent, type BlocklistWriter } from './blocklists.js';

/** The feed job's view of the blocklist store: lists that follow a URL, their content replaced through the use case. */
export function blocklistFeedStore(w: BlocklistWriter): FeedStore {
  return {
    async dueFeeds(now) {
      return (await allBlocklists(w.db))
        .filter((l) => l.feed !== null && (l.feed.checkedAt === null || l.feed.checkedAt + l.feed.refreshMs <= now))
        .map((l) => ({
          id: l.id,
          name: l.name,
          url: l.feed!.url,
          refreshMs: l.feed!.refreshMs,
          etag: l.feed!.etag,
          lastModified: l.feed!.lastModified,
          checkedAt: l.feed!.checkedAt,
        }));
    },
    async replaceContent(id, values, meta) {
      const r = await replaceFeedContent(
        w,
        id,
        values.map((v) => parseIpOrRange(v)),
        meta,
      );
      return { added: r.added + r.updated, removed: r.removed };
    },
    async recordCheck(id, meta) {
      await recordFeedCheck(w.db, id, {
        at: meta.at,
        error: meta.error,
        ok: meta.error === null,
        etag: meta.etag,
        lastModified: meta.lastModified,
      });
    },
  };
}
