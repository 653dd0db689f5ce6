import type { Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { parseItemValue, type Actor } from '../../domain/allowlist.js';
import { IpParseError } from '../../domain/ip-range.js';
import { parseTimestamp } from '../../domain/timestamp.js';
import { BadRequestError, withField } from '../../errors.js';
import { countItems, liveItemCounts, pageItems, requireItem } from '../../store/allowlist-items.js';
import { listSubscribers, subscribersOf } from '../../store/allowlist-subscribers.js';
import { countAllowlists, pageAllowlists, requireAllowlist } from '../../store/allowlists.js';
import type { AdminKey } from '../../store/admin-keys.js';
import { organizationId } from '../../store/instance.js';
import {
  ACCEPTED_TYPES,
  type AcceptedType,
  addItemsAndApply,
  createList,
  deleteList,
  deleteListItem,
  subscribe,
  unsubscribe,
  updateList,
  updateListItem,
} from '../../usecases/allowlists.js';
import { adminItem, adminList, adminSubscriber } from '../allowlist-wire.js';
import type { AppDeps } from '../deps.js';
import { endpoint, Params, QueryMap } from '../endpoint.js';
import { booleanQuery, pageOf, parsePage } from '../pagination.js';
import {
  allowlistDocs as docs,
  CreateItems,
  CreateList,
  type ItemPage,
  PatchItem,
  PatchList,
  Subscribe,
  type SubscribeResult,
  type SubscriberPage,
} from '../schemas/admin-allowlists.js';
import { parseBody } from '../validate.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on admin API routes: the admin key the request came with. */
    adminKey: AdminKey;
  }
}

const ListId = Params('id');
const ItemId = Params('id', 'item_id');

const actorOf = (req: FastifyRequest): Actor => ({ source_type: 'apikey', identifier: req.adminKey.name });

function expiration(raw: string | null | undefined): number | null | undefined {
  if (raw === undefined || raw === null) return raw;
  return withField('expiration', () => parseTimestamp(raw));
}

/** Every value checked before anything is stored: one bad value and nothing is added. */
function checkValues(values: string[]): void {
  for (const v of values) {
    try {
      parseItemValue(v);
    } catch (err) {
      if (err instanceof IpParseError)
        throw new BadRequestError(`items: ${err.message}: expected an IPv4 or IPv6 address, or a CIDR range`);
      throw err;
    }
  }
}

function acceptedType(raw: string | string[] | undefined): AcceptedType | undefined {
  if (raw === undefined || ACCEPTED_TYPES.includes(raw as AcceptedType)) return raw as AcceptedType | undefined;
  throw new BadRequestError(`entity_type must be one of ${ACCEPTED_TYPES.join(', ')}, got '${raw}'`);
}

/**
 * The admin API for allowlists (the console's Service API shapes), on its own listener behind admin keys.
 * Every write goes through usecases/allowlists.ts, which reloads this node's allowlists before the answer
 * (other nodes reload within their poll).
 */
export async function allowlistAdminEndpoints(deps: AppDeps) {
  const org = await organizationId(deps.db, deps.config.admin.organizationId);
  const { db } = deps;

  return {
    create: endpoint({
      doc: docs.create,
      handler: async (req, reply) => {
        const body = parseBody(CreateList, req.body, 400);
        const list = await createList(deps, body.name, body.description ?? '');
        return reply.code(201).send(adminList(list, org, 0));
      },
    }),

    list: endpoint({
      doc: docs.list,
      schema: { querystring: QueryMap },
      handler: async (req) => {
        const p = parsePage(req.query);
        const [lists, total] = await Promise.all([pageAllowlists(db, p.offset, p.size), countAllowlists(db)]);
        const ids = lists.map((l) => l.id);
        const [counts, subs] = await Promise.all([liveItemCounts(db, ids, Date.now()), subscribersOf(db, ids)]);
        const items = lists.map((l) => adminList(l, org, counts.get(l.id) ?? 0, subs.get(l.id)));
        return pageOf('/v1/allowlists', items, total, p);
      },
    }),

    get: endpoint({
      doc: docs.get,
      schema: { params: ListId },
      handler: async (req) => {
        const list = await requireAllowlist(db, req.params.id);
        const [counts, subs] = await Promise.all([liveItemCounts(db, [list.id], Date.now()), listSubscribers(db, list.id)]);
        return adminList(list, org, counts.get(list.id) ?? 0, subs);
      },
    }),

    update: endpoint({
      doc: docs.update,
      schema: { params: ListId },
      handler: async (req) => {
        const body = parseBody(PatchList, req.body, 400);
        const list = await updateList(deps, req.params.id, { name: body.name, description: body.description });
        const counts = await liveItemCounts(db, [list.id], Date.now());
        return adminList(list, org, counts.get(list.id) ?? 0);
      },
    }),

    delete: endpoint({
      doc: docs.delete,
      schema: { querystring: QueryMap, params: ListId },
      handler: async (req, reply) => {
        await deleteList(deps, req.params.id, booleanQuery(req.query, 'force'));
        return reply.code(204).send();
      },
    }),

    addItems: endpoint({
      doc: docs.addItems,
      schema: { params: ListId },
      handler: async (req, reply) => {
        const body = parseBody(CreateItems, req.body, 400);
        checkValues(body.items);
        const expiresAt = expiration(body.expiration) ?? null;
        const items = { values: body.items, description: body.description ?? '', expiresAt, actor: actorOf(req) };
        await addItemsAndApply(deps, req.params.id, items);
        return reply.code(201).send();
      },
    }),

    items: endpoint({
      doc: docs.items,
      schema: { querystring: QueryMap, params: ListId },
      handler: async (req) => {
        const p = parsePage(req.query);
        const list = await requireAllowlist(db, req.params.id);
        const now = Date.now();
        const [items, total] = await Promise.all([pageItems(db, list.id, p.offset, p.size, now), countItems(db, list.id, now)]);
        return pageOf(`/v1/allowlists/${list.id}/items`, items.map(adminItem), total, p) satisfies Static<typeof ItemPage>;
      },
    }),

    item: endpoint({
      doc: docs.item,
      schema: { params: ItemId },
      handler: async (req) => {
        const { id, item_id } = req.params;
        await requireAllowlist(db, id);
        return adminItem(await requireItem(db, id, item_id, Date.now()));
      },
    }),

    updateItem: endpoint({
      doc: docs.updateItem,
      schema: { params: ItemId },
      handler: async (req) => {
        const body = parseBody(PatchItem, req.body, 400);
        const expiresAt = expiration(body.expiration);
        const { id, item_id } = req.params;
        return adminItem(await updateListItem(deps, id, item_id, { description: body.description, expiresAt }, actorOf(req)));
      },
    }),

    deleteItem: endpoint({
      doc: docs.deleteItem,
      schema: { params: ItemId },
      handler: async (req, reply) => {
        await deleteListItem(deps, req.params.id, req.params.item_id);
        return reply.code(204).send();
      },
    }),

    subscribers: endpoint({
      doc: docs.subscribers,
      schema: { querystring: QueryMap, params: ListId },
      handler: async (req) => {
        const p = parsePage(req.query);
        const list = await requireAllowlist(db, req.params.id);
        const subs = await listSubscribers(db, list.id);
        return pageOf(
          `/v1/allowlists/${list.id}/subscribers`,
          subs.slice(p.offset, p.offset + p.size).map(adminSubscriber),
          subs.length,
          p,
        ) satisfies Static<typeof SubscriberPage>;
      },
    }),

    subscribe: endpoint({
      doc: docs.subscribe,
      schema: { params: ListId },
      handler: async (req) => {
        const body = parseBody(Subscribe, req.body, 400);
        const r = await subscribe(deps, req.params.id, acceptedType(body.entity_type)!, body.ids, org);
        return { updated: r.updated, errors: r.errors } satisfies Static<typeof SubscribeResult>;
      },
    }),

    unsubscribe: endpoint({
      doc: docs.unsubscribe,
      schema: { querystring: QueryMap, params: Params('id', 'entity_id') },
      handler: async (req, reply) => {
        await unsubscribe(deps, req.params.id, req.params.entity_id, acceptedType(req.query.entity_type));
        return reply.code(204).send();
      },
    }),
  };
}
