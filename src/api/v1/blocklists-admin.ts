import type { Static } from '@sinclair/typebox';
import { BLOCKLIST_SUBSCRIBER_TYPES, type Blocklist, type BlocklistSubscriber } from '../../domain/blocklist.js';
import { parseGoDuration } from '../../domain/duration.js';
import { parseFeedText } from '../../domain/feed-text.js';
import { IpParseError, type IpRange, parseIpOrRange } from '../../domain/ip-range.js';
import { parseTimestamp } from '../../domain/timestamp.js';
import { validateFeedUrl } from '../../engine/feed-fetch.js';
import { BadRequestError, withField } from '../../errors.js';
import {
  allBlocklistSubscriptions,
  blocklistSubscribers,
  countBlocklists,
  pageBlocklists,
  requireBlocklist,
} from '../../store/blocklists.js';
import { organizationId } from '../../store/instance.js';
import {
  addBlocklistItems,
  checkBatchSize,
  createBlocklist,
  deleteBlocklist,
  deleteBlocklistItems,
  isSubscriberType,
  replaceBlocklistItems,
  subscribeBlocklist,
  unsubscribeBlocklist,
  updateBlocklist,
} from '../../usecases/blocklists.js';
import { blocklistSubscriber, publicBlocklist } from '../blocklist-wire.js';
import type { AppDeps } from '../deps.js';
import { endpoint, Params, QueryMap } from '../endpoint.js';
import { multipartField } from '../multipart.js';
import { booleanQuery, pageOf, parsePage } from '../pagination.js';
import {
  AddIps,
  blocklistDocs as docs,
  type BlocklistPage,
  CreateList,
  DeleteIps,
  PatchList,
  Subscribe,
  type SubscribeResult,
  type SubscriberPage,
} from '../schemas/admin-blocklists.js';
import { parseBody } from '../validate.js';
import { blocklistCounts } from './blocklist-views.js';

/** The refresh of a list that follows a URL: a Go duration, at least a minute (feeds are polite to their hosts). */
const MIN_REFRESH_MS = 60_000;
const DEFAULT_REFRESH_MS = 3_600_000;
/** An uploaded file: 20,000 values of at most ~45 bytes, comments and blank lines; far more is not a blocklist upload. */
const MAX_UPLOAD_BYTES = 8 * 1024 * 1024;

const ListId = Params('id');

function refreshMs(raw: string): number {
  const ms = withField('refresh_interval', () => parseGoDuration(raw));
  if (ms < MIN_REFRESH_MS) throw new BadRequestError(`refresh_interval must be at least 1m, got '${raw}'`);
  return ms;
}

function feedUrl(raw: string): string {
  return validateFeedUrl(raw).href;
}

function expiration(raw: string | string[] | null | undefined): number | null {
  if (raw === undefined || raw === null) return null;
  if (Array.isArray(raw)) throw new BadRequestError('expiration must be given once');
  return withField('expiration', () => parseTimestamp(raw));
}

/** Every value parsed before anything is written: one bad value and nothing is. */
function parseValues(values: readonly string[]): IpRange[] {
  checkBatchSize(values.length);
  return values.map((v) => {
    try {
      return parseIpOrRange(v.trim());
    } catch (err) {
      if (err instanceof IpParseError) throw new BadRequestError(`ips: ${err.message}: expected an IPv4 or IPv6 address, or a CIDR range`);
      throw err;
    }
  });
}

/** The values of an uploaded text file (one per line, `#`/`;` comments): a bad line is a 400 naming it unless ignored. */
function uploadedValues(file: Buffer, ignoreInvalid: boolean): IpRange[] {
  const text = parseFeedText(file.toString('utf8'));
  const bad = text.invalid[0];
  if (bad && !ignoreInvalid)
    throw new BadRequestError(
      `file: line ${bad.line}: invalid ip address '${bad.text}': expected an IPv4 or IPv6 address, or a CIDR range`,
    );
  return parseValues(text.values);
}

function subscriberType(raw: string | string[] | undefined) {
  if (raw === undefined || (typeof raw === 'string' && isSubscriberType(raw))) return raw;
  throw new BadRequestError(`entity_type must be one of ${BLOCKLIST_SUBSCRIBER_TYPES.join(', ')}, got '${String(raw)}'`);
}

/**
 * The admin API for blocklists (the console's Service API shapes), beside the allowlists, behind admin keys.
 * Every write goes through usecases/blocklists.ts (one transaction, with the decisions it starts or ends).
 * `GET|HEAD {id}/download` is served by integration-content.ts.
 */
export async function blocklistAdminEndpoints(deps: AppDeps) {
  const org = await organizationId(deps.db, deps.config.admin.organizationId);
  const { db } = deps;

  /** The wire objects of lists, with their counts and subscribers (every subscription when `subs` is not given). */
  const wire = async (lists: readonly Blocklist[], subs?: readonly BlocklistSubscriber[]) => {
    const all = subs ?? (lists.length === 0 ? [] : await allBlocklistSubscriptions(db));
    const counts = await blocklistCounts(deps, lists, Date.now());
    return lists.map((l) =>
      publicBlocklist(
        l,
        org,
        counts.get(l.id) ?? 0,
        all.filter((s) => s.blocklistId === l.id),
      ),
    );
  };
  const one = async (l: Blocklist) => (await wire([l], await blocklistSubscribers(db, l.id)))[0]!;

  return {
    create: endpoint({
      doc: docs.create,
      handler: async (req, reply) => {
        const body = parseBody(CreateList, req.body, 400);
        if (body.refresh_interval !== undefined && body.url === undefined)
          throw new BadRequestError('refresh_interval applies to a list that follows a url: give a url too');
        const feed =
          body.url === undefined
            ? null
            : {
                url: feedUrl(body.url),
                refreshMs: body.refresh_interval === undefined ? DEFAULT_REFRESH_MS : refreshMs(body.refresh_interval),
              };
        const list = await createBlocklist(deps, {
          name: body.name,
          label: body.label ?? body.name,
          description: body.description,
          references: body.references ?? [],
          tags: body.tags ?? [],
          feed,
        });
        return reply.code(201).send(await one(list));
      },
    }),

    list: endpoint({
      doc: docs.list,
      schema: { querystring: QueryMap },
      handler: async (req) => {
        const p = parsePage(req.query);
        const only = booleanQuery(req.query, 'subscribed_only');
        const exclude = booleanQuery(req.query, 'exclude_subscribed');
        if (only && exclude) throw new BadRequestError('subscribed_only and exclude_subscribed cannot both be true');
        const q = only ? { subscribed: true } : exclude ? { subscribed: false } : {};
        const [lists, total] = await Promise.all([pageBlocklists(db, p.offset, p.size, q), countBlocklists(db, q)]);
        return pageOf('/v1/blocklists', await wire(lists), total, p) satisfies Static<typeof BlocklistPage>;
      },
    }),

    get: endpoint({
      doc: docs.get,
      schema: { params: ListId },
      handler: async (req) => one(await requireBlocklist(db, req.params.id)),
    }),

    update: endpoint({
      doc: docs.update,
      schema: { params: ListId },
      handler: async (req) => {
        const body = parseBody(PatchList, req.body, 400);
        const current = await requireBlocklist(db, req.params.id);
        const moved = body.url !== undefined || body.refresh_interval !== undefined;
        // a feed's URL and interval are written together: the one not given stays as it is
        const feed = moved
          ? {
              url: body.url === undefined ? (current.feed?.url ?? '') : feedUrl(body.url),
              refreshMs:
                body.refresh_interval === undefined ? (current.feed?.refreshMs ?? DEFAULT_REFRESH_MS) : refreshMs(body.refresh_interval),
            }
          : undefined;
        // from_cti_query and since are accepted and not stored: no CTI here
        const patch = { label: body.label, description: body.description, references: body.references, tags: body.tags, feed };
        return one(await updateBlocklist(deps, current.id, patch));
      },
    }),

    delete: endpoint({
      doc: docs.delete,
      schema: { querystring: QueryMap, params: ListId },
      handler: async (req, reply) => {
        await deleteBlocklist(deps, req.params.id, booleanQuery(req.query, 'force'));
        return reply.code(204).send();
      },
    }),

    addIps: endpoint({
      doc: docs.addIps,
      schema: { params: ListId },
      handler: async (req, reply) => {
        const body = parseBody(AddIps, req.body, 400);
        const ranges = parseValues(body.ips);
        await addBlocklistItems(deps, req.params.id, ranges, expiration(body.expiration));
        return reply.code(201).send();
      },
    }),

    overwrite: endpoint({
      doc: docs.overwrite,
      schema: { params: ListId },
      handler: async (req, reply) => {
        const body = parseBody(AddIps, req.body, 400);
        const ranges = parseValues(body.ips);
        await replaceBlocklistItems(deps, req.params.id, ranges, expiration(body.expiration));
        return reply.code(202).send();
      },
    }),

    upload: endpoint({
      doc: docs.upload,
      schema: { querystring: QueryMap, params: ListId },
      config: { rawBody: true },
      handler: async (req, reply) => {
        const expiresAt = expiration(req.query.expiration);
        const ignore = booleanQuery(req.query, 'ignore_invalid_ips');
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const ranges = uploadedValues(await multipartField(raw, req.headers['content-type'], 'file', MAX_UPLOAD_BYTES), ignore);
        await replaceBlocklistItems(deps, req.params.id, ranges, expiresAt);
        return reply.code(201).send({});
      },
    }),

    deleteIps: endpoint({
      doc: docs.deleteIps,
      schema: { params: ListId },
      handler: async (req, reply) => {
        const body = parseBody(DeleteIps, req.body, 400);
        await deleteBlocklistItems(deps, req.params.id, parseValues(body.ips));
        return reply.code(204).send();
      },
    }),

    subscribers: endpoint({
      doc: docs.subscribers,
      schema: { querystring: QueryMap, params: ListId },
      handler: async (req) => {
        const p = parsePage(req.query);
        const list = await requireBlocklist(db, req.params.id);
        const subs = await blocklistSubscribers(db, list.id);
        const page = subs.slice(p.offset, p.offset + p.size).map(blocklistSubscriber);
        return pageOf(`/v1/blocklists/${list.id}/subscribers`, page, subs.length, p) satisfies Static<typeof SubscriberPage>;
      },
    }),

    subscribe: endpoint({
      doc: docs.subscribe,
      schema: { params: ListId },
      handler: async (req) => {
        const body = parseBody(Subscribe, req.body, 400);
        const type = subscriberType(body.entity_type)!;
        const r = await subscribeBlocklist(deps, req.params.id, type, body.ids ?? [], body.remediation, org);
        return { updated: r.updated, errors: r.errors } satisfies Static<typeof SubscribeResult>;
      },
    }),

    unsubscribe: endpoint({
      doc: docs.unsubscribe,
      schema: { querystring: QueryMap, params: Params('id', 'entity_id') },
      handler: async (req) => {
        const type = subscriberType(req.query.entity_type);
        await unsubscribeBlocklist(deps, req.params.id, req.params.entity_id, type as string | undefined);
        return {};
      },
    }),
  };
}
