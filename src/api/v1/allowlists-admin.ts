import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseItemValue, type Actor } from '../../domain/allowlist.js';
import { IpParseError } from '../../domain/ip-range.js';
import { parseTimestamp, TimestampError } from '../../domain/timestamp.js';
import { ACCEPTED_TYPES, addItemsAndApply, subscribe } from '../../engine/allowlist-ops.js';
import { BadRequestError, NotFoundError } from '../../errors.js';
import { countItems, deleteItem, liveItemCounts, pageItems, requireItem, updateItem } from '../../store/allowlist-items.js';
import { listSubscribers, removeSubscriber, subscribersOf } from '../../store/allowlist-subscribers.js';
import {
  countAllowlists,
  createAllowlist,
  deleteAllowlist,
  pageAllowlists,
  requireAllowlist,
  updateAllowlist,
} from '../../store/allowlists.js';
import type { AdminKey } from '../../store/admin-keys.js';
import { organizationId } from '../../store/instance.js';
import { adminItem, adminList, adminSubscriber } from '../allowlist-wire.js';
import type { AppDeps } from '../deps.js';
import { pageOf, parsePage } from '../pagination.js';
import { parseBody } from '../validate.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on admin API routes: the admin key the request came with. */
    adminKey: AdminKey;
  }
}

// Bodies are closed (additionalProperties: false): seed 003 names every key a client sends, and a key it
// does not name is a 400 naming it rather than something a store could mistake for a column.
const closed = { additionalProperties: false } as const;
const Name = Type.String({ minLength: 1, maxLength: 200 });
/** Descriptions are free text; the bound keeps a row far below MySQL's 64 KiB TEXT. */
const Description = Type.String({ maxLength: 4096 });
/** Item values are IPs or CIDRs: far shorter than the 255 of their key column. */
const Value = Type.String({ maxLength: 100 });
const CreateList = Type.Object({ name: Name, description: Type.Optional(Description) }, closed);
const PatchList = Type.Object({ name: Type.Optional(Name), description: Type.Optional(Description) }, closed);
const Expiration = Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()]));
const CreateItems = Type.Object(
  { items: Type.Array(Value, { minItems: 1, maxItems: 10_000 }), description: Type.Optional(Description), expiration: Expiration },
  closed,
);
const PatchItem = Type.Object({ description: Type.Optional(Description), expiration: Expiration }, closed);
const Subscribe = Type.Object(
  { ids: Type.Array(Type.String({ maxLength: 255 }), { minItems: 1, maxItems: 1000 }), entity_type: Type.String({ maxLength: 64 }) },
  closed,
);

type Params = { id: string; item_id: string; entity_id: string };

const actorOf = (req: FastifyRequest): Actor => ({ source_type: 'apikey', identifier: req.adminKey.name });

function expiration(raw: string | null | undefined): number | null | undefined {
  if (raw === undefined || raw === null) return raw;
  try {
    return parseTimestamp(raw);
  } catch (err) {
    if (err instanceof TimestampError) throw new BadRequestError(`expiration: ${err.message}`);
    throw err;
  }
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

function booleanQuery(q: unknown, name: string): boolean {
  const v = (q as Record<string, unknown> | undefined)?.[name];
  if (v === undefined || v === 'false') return false;
  if (v === 'true') return true;
  throw new BadRequestError(`${name} must be true or false, got '${String(v)}'`);
}

/**
 * The admin API for allowlists (seed 003, the console's shapes), on its own listener behind admin keys.
 * Every write reloads this node's allowlists before answering, and other nodes within their poll.
 */
export async function allowlistAdminRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const org = await organizationId(deps.db, deps.config.admin.organizationId);
  const { db } = deps;
  /** After a write: this node serves the new state (and the decisions it ended) from the next request on. */
  const settle = async () => {
    await deps.allowlists.refresh();
    await deps.feed.catchUp();
  };
  const params = (req: FastifyRequest) => req.params as Params;

  app.post('/v1/allowlists', async (req, reply) => {
    const body = parseBody(CreateList, req.body, 400);
    const list = await createAllowlist(db, body.name, body.description ?? '');
    await settle();
    return reply.code(201).send(adminList(list, org, 0));
  });

  app.get('/v1/allowlists', async (req) => {
    const p = parsePage(req.query);
    const [lists, total] = await Promise.all([pageAllowlists(db, p.offset, p.size), countAllowlists(db)]);
    const ids = lists.map((l) => l.id);
    const [counts, subs] = await Promise.all([liveItemCounts(db, ids, Date.now()), subscribersOf(db, ids)]);
    return pageOf(
      '/v1/allowlists',
      lists.map((l) => adminList(l, org, counts.get(l.id) ?? 0, subs.get(l.id))),
      total,
      p,
    );
  });

  app.get('/v1/allowlists/:id', async (req) => {
    const list = await requireAllowlist(db, params(req).id);
    const [counts, subs] = await Promise.all([liveItemCounts(db, [list.id], Date.now()), listSubscribers(db, list.id)]);
    return adminList(list, org, counts.get(list.id) ?? 0, subs);
  });

  app.patch('/v1/allowlists/:id', async (req) => {
    const body = parseBody(PatchList, req.body, 400);
    const list = await updateAllowlist(db, params(req).id, { name: body.name, description: body.description });
    await settle();
    const counts = await liveItemCounts(db, [list.id], Date.now());
    return adminList(list, org, counts.get(list.id) ?? 0);
  });

  app.delete('/v1/allowlists/:id', async (req, reply) => {
    await deleteAllowlist(db, params(req).id, booleanQuery(req.query, 'force'));
    await settle();
    return reply.code(204).send();
  });

  app.post('/v1/allowlists/:id/items', async (req, reply) => {
    const body = parseBody(CreateItems, req.body, 400);
    checkValues(body.items);
    const expiresAt = expiration(body.expiration) ?? null;
    await requireAllowlist(db, params(req).id);
    await addItemsAndApply(db, params(req).id, { values: body.items, description: body.description ?? '', expiresAt, actor: actorOf(req) });
    await settle();
    return reply.code(201).send();
  });

  app.get('/v1/allowlists/:id/items', async (req) => {
    const p = parsePage(req.query);
    const list = await requireAllowlist(db, params(req).id);
    const now = Date.now();
    const [items, total] = await Promise.all([pageItems(db, list.id, p.offset, p.size, now), countItems(db, list.id, now)]);
    return pageOf(`/v1/allowlists/${list.id}/items`, items.map(adminItem), total, p);
  });

  app.get('/v1/allowlists/:id/items/:item_id', async (req) => {
    const { id, item_id } = params(req);
    await requireAllowlist(db, id);
    return adminItem(await requireItem(db, id, item_id, Date.now()));
  });

  app.patch('/v1/allowlists/:id/items/:item_id', async (req) => {
    const body = parseBody(PatchItem, req.body, 400);
    const { id, item_id } = params(req);
    const expiresAt = expiration(body.expiration);
    await requireAllowlist(db, id);
    const item = await updateItem(db, id, item_id, { description: body.description, expiresAt }, actorOf(req));
    await settle();
    return adminItem(item);
  });

  app.delete('/v1/allowlists/:id/items/:item_id', async (req, reply) => {
    const { id, item_id } = params(req);
    await requireAllowlist(db, id);
    await deleteItem(db, id, item_id);
    await settle();
    return reply.code(204).send();
  });

  app.get('/v1/allowlists/:id/subscribers', async (req) => {
    const p = parsePage(req.query);
    const list = await requireAllowlist(db, params(req).id);
    const subs = await listSubscribers(db, list.id);
    return pageOf(`/v1/allowlists/${list.id}/subscribers`, subs.slice(p.offset, p.offset + p.size).map(adminSubscriber), subs.length, p);
  });

  app.post('/v1/allowlists/:id/subscribers', async (req) => {
    const body = parseBody(Subscribe, req.body, 400);
    const type = body.entity_type as (typeof ACCEPTED_TYPES)[number];
    if (!ACCEPTED_TYPES.includes(type))
      throw new BadRequestError(`entity_type must be one of ${ACCEPTED_TYPES.join(', ')}, got '${body.entity_type}'`);
    const list = await requireAllowlist(db, params(req).id);
    const r = await subscribe(db, list.id, type, body.ids, org);
    await settle();
    return { updated: r.updated, errors: r.errors };
  });

  app.delete('/v1/allowlists/:id/subscribers/:entity_id', async (req, reply) => {
    const { id, entity_id } = params(req);
    const type = (req.query as Record<string, string | undefined>).entity_type;
    if (type !== undefined && !ACCEPTED_TYPES.includes(type as never))
      throw new BadRequestError(`entity_type must be one of ${ACCEPTED_TYPES.join(', ')}, got '${type}'`);
    await requireAllowlist(db, id);
    const n = await removeSubscriber(db, id, entity_id, type as never);
    if (n === 0) throw new NotFoundError(`'${entity_id}' is not subscribed to allowlist '${id}'`);
    await settle();
    return reply.code(204).send();
  });
}
