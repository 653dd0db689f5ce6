import type { Transaction } from 'kysely';
import { rangeKey } from '../domain/allowlist.js';
import {
  BLOCKLIST_SUBSCRIBER_TYPES,
  DEFAULT_REMEDIATION,
  MAX_IPS_PER_REQUEST,
  servedAsDecisions,
  type Blocklist,
  type BlocklistItem,
  type BlocklistSubscriberType,
} from '../domain/blocklist.js';
import { formatRange, type IpRange } from '../domain/ip-range.js';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, PreconditionFailedError } from '../errors.js';
import { bump } from '../store/allowlists.js';
import { deleteItemsAt, insertItems, itemsAt, liveItems } from '../store/blocklist-items.js';
import {
  blocklistSubscribers,
  deleteBlocklistRow,
  deleteSubscribers,
  getBlocklist,
  insertBlocklist,
  recordFeedCheck,
  requireBlocklist,
  touchContent,
  updateBlocklistRow,
  upsertSubscribers,
  type BlocklistPatch,
  type NewBlocklist,
} from '../store/blocklists.js';
import type { Db } from '../store/db.js';
import { nextSequence } from '../store/decisions.js';
import { expireListDecisions, insertListDecisions } from '../store/list-decisions.js';
import type { Tables } from '../store/tables.js';
import type { UseCaseDeps } from './deps.js';
import { entityRefusal } from './subscribers.js';

/**
 * The blocklist writes the admin API, the CLI and the feed job share. Each commits in one transaction with
 * the decisions it starts or ends (a list subscribed where bouncers read is decisions of origin `lists`),
 * then settles this process's views; the CLI, which holds none, passes no `settle`.
 */
export type BlocklistWriter = Pick<UseCaseDeps, 'db'> & Partial<Pick<UseCaseDeps, 'settle'>>;

function inTrx<T>(db: Db, fn: (trx: Transaction<Tables>) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn);
}

/** Lists whose content is not written through the API: the built-in `lapi` list and lists that follow a URL. */
function writable(list: Blocklist): void {
  if (list.kind === 'lapi') throw new ForbiddenError(`blocklist '${list.name}' is read-only: it holds this instance's decisions`);
  if (list.kind === 'feed') throw new ForbiddenError(`blocklist '${list.name}' is read-only: it follows a URL`);
}

async function lockedList(trx: Transaction<Tables>, id: string): Promise<Blocklist> {
  const list = await getBlocklist(trx, id);
  if (!list) throw new NotFoundError(`blocklist '${id}' not found`);
  return list;
}

/** The decision types a list is served as: the remediations of its subscriptions that reach bouncers (none for `lapi`). */
export async function servedTypes(trx: Db, list: Blocklist): Promise<string[]> {
  if (list.kind === 'lapi') return [];
  const subs = await blocklistSubscribers(trx, list.id);
  return [...new Set(subs.filter((s) => servedAsDecisions(s.entityType)).map((s) => s.remediation))].sort();
}

export async function createBlocklist(w: BlocklistWriter, n: NewBlocklist, now = Date.now()): Promise<Blocklist> {
  return inTrx(w.db, (trx) => insertBlocklist(trx, n, now));
}

/** Changes a list's description fields (or its feed); the built-in list refuses. */
export async function updateBlocklist(w: BlocklistWriter, id: string, patch: BlocklistPatch, now = Date.now()): Promise<Blocklist> {
  return inTrx(w.db, async (trx) => {
    const list = await lockedList(trx, id);
    if (list.kind === 'lapi') throw new ForbiddenError(`blocklist '${list.name}' is read-only`);
    if (patch.feed && list.kind !== 'feed')
      throw new BadRequestError(`blocklist '${list.name}' does not follow a URL: create a list with a url`);
    await updateBlocklistRow(trx, id, patch, now);
    return (await getBlocklist(trx, id))!;
  });
}

/** Deletes a list: 409 while it has subscribers, unless `force`; its decisions end in the same transaction. */
export async function deleteBlocklist(w: BlocklistWriter, id: string, force: boolean, now = Date.now()): Promise<void> {
  await inTrx(w.db, async (trx) => {
    const seq = await nextSequence(trx);
    const list = await lockedList(trx, id);
    if (list.kind === 'lapi') throw new ForbiddenError(`blocklist '${list.name}' is built in and cannot be deleted`);
    const subs = await blocklistSubscribers(trx, id);
    if (subs.length > 0 && !force)
      throw new ConflictError(
        `blocklist '${list.name}' has ${subs.length} subscriber(s): unsubscribe them first, or delete with force=true`,
      );
    if ((await servedTypes(trx, list)).length > 0) await expireListDecisions(trx, list, {}, seq, now);
    await deleteBlocklistRow(trx, id);
    // who is served what changed: streams hear of it through the allowlists version
    if (subs.length > 0) await bump(trx);
  });
  await w.settle?.('allowlists');
}

/** The Service API's limit on one operation. */
export function checkBatchSize(n: number): void {
  if (n > MAX_IPS_PER_REQUEST)
    throw new PreconditionFailedError(`Payload too large for one operation, limit is ${MAX_IPS_PER_REQUEST} IPs per request (got ${n})`);
}

export interface ContentChange {
  added: number;
  /** Items already there whose expiration changed. */
  updated: number;
  removed: number;
}

/**
 * Adds or refreshes items inside a list write: new ranges are inserted, ranges already there take the new
 * expiration (their decisions end and start again with it), identical ones change nothing.
 */
async function putItems(
  trx: Transaction<Tables>,
  list: Blocklist,
  wanted: readonly BlocklistItem[],
  types: readonly string[],
  seq: number,
  now: number,
): Promise<{ added: number; updated: number }> {
  const have = await itemsAt(
    trx,
    list.id,
    wanted.map((i) => i.range),
  );
  const fresh: BlocklistItem[] = [];
  const changed: BlocklistItem[] = [];
  for (const it of wanted) {
    const old = have.get(rangeKey(it.range));
    if (!old) fresh.push(it);
    else if (old.expiresAt !== it.expiresAt) changed.push({ ...it, createdAt: old.createdAt });
  }
  if (changed.length > 0) {
    await deleteItemsAt(
      trx,
      list.id,
      changed.map((i) => i.range),
    );
    if (types.length > 0) await expireListDecisions(trx, list, { values: changed.map((i) => i.value) }, seq, now);
  }
  const put = [...fresh, ...changed];
  await insertItems(trx, list.id, put);
  await insertListDecisions(trx, list.name, put, types, seq, now);
  return { added: fresh.length, updated: changed.length };
}

/** One item per range (the last one given wins), with its canonical text. */
function itemsOf(ranges: readonly IpRange[], expiresAt: number | null, now: number): BlocklistItem[] {
  const byKey = new Map<string, BlocklistItem>();
  for (const range of ranges) byKey.set(rangeKey(range), { value: formatRange(range), range, createdAt: now, expiresAt });
  return [...byKey.values()];
}

/** Adds IPs and ranges (already parsed) with an optional expiration; an IP already present takes the new one. */
export async function addBlocklistItems(
  w: BlocklistWriter,
  id: string,
  ranges: readonly IpRange[],
  expiresAt: number | null,
  now = Date.now(),
): Promise<ContentChange> {
  const r = await inTrx(w.db, async (trx) => {
    const seq = await nextSequence(trx);
    const list = await lockedList(trx, id);
    writable(list);
    const out = await putItems(trx, list, itemsOf(ranges, expiresAt, now), await servedTypes(trx, list), seq, now);
    if (out.added + out.updated > 0) await touchContent(trx, id, now);
    return { ...out, removed: 0 };
  });
  await w.settle?.('decisions');
  return r;
}

/** Removes IPs and ranges; values the list does not hold are ignored. */
export async function deleteBlocklistItems(
  w: BlocklistWriter,
  id: string,
  ranges: readonly IpRange[],
  now = Date.now(),
): Promise<ContentChange> {
  const r = await inTrx(w.db, async (trx) => {
    const seq = await nextSequence(trx);
    const list = await lockedList(trx, id);
    writable(list);
    const removed = await removeItems(trx, list, ranges, seq, now);
    if (removed > 0) await touchContent(trx, id, now);
    return { added: 0, updated: 0, removed };
  });
  await w.settle?.('decisions');
  return r;
}

async function removeItems(
  trx: Transaction<Tables>,
  list: Blocklist,
  ranges: readonly IpRange[],
  seq: number,
  now: number,
): Promise<number> {
  const have = await itemsAt(trx, list.id, ranges);
  if (have.size === 0) return 0;
  const gone = [...have.values()];
  await deleteItemsAt(
    trx,
    list.id,
    gone.map((i) => i.range),
  );
  if ((await servedTypes(trx, list)).length > 0) await expireListDecisions(trx, list, { values: gone.map((i) => i.value) }, seq, now);
  return gone.length;
}

/**
 * Replaces a list's whole content, in one transaction, changing only what differs: bouncers are sent the
 * values that went and the values that came, not the list again.
 */
async function replaceIn(
  trx: Transaction<Tables>,
  list: Blocklist,
  ranges: readonly IpRange[],
  expiresAt: number | null,
  now: number,
): Promise<ContentChange> {
  const seq = await nextSequence(trx);
  const wanted = itemsOf(ranges, expiresAt, now);
  const keep = new Set(wanted.map((i) => rangeKey(i.range)));
  const stale: IpRange[] = [];
  for await (const page of liveItems(trx, list.id, 0)) for (const it of page) if (!keep.has(rangeKey(it.range))) stale.push(it.range);
  const removed = stale.length > 0 ? await removeItems(trx, list, stale, seq, now) : 0;
  const out = await putItems(trx, list, wanted, await servedTypes(trx, list), seq, now);
  if (removed + out.added + out.updated > 0) await touchContent(trx, list.id, now);
  return { ...out, removed };
}

/** `bulk_overwrite` and `upload`: the list's content becomes exactly these values. */
export async function replaceBlocklistItems(
  w: BlocklistWriter,
  id: string,
  ranges: readonly IpRange[],
  expiresAt: number | null,
  now = Date.now(),
): Promise<ContentChange> {
  const r = await inTrx(w.db, async (trx) => {
    const list = await lockedList(trx, id);
    writable(list);
    return replaceIn(trx, list, ranges, expiresAt, now);
  });
  await w.settle?.('decisions');
  return r;
}

/** A feed's new content, with the check that brought it, in one transaction (feed-job.ts). */
export async function replaceFeedContent(
  w: BlocklistWriter,
  id: string,
  ranges: readonly IpRange[],
  meta: { etag: string | null; lastModified: string | null; at: number },
): Promise<ContentChange> {
  const r = await inTrx(w.db, async (trx) => {
    const list = await lockedList(trx, id);
    if (list.kind !== 'feed') throw new BadRequestError(`blocklist '${list.name}' does not follow a URL`);
    // decisions end and start at the wall clock's now, whatever time the job's check is recorded at
    const out = await replaceIn(trx, list, ranges, null, Date.now());
    await recordFeedCheck(trx, id, { at: meta.at, error: null, ok: true, etag: meta.etag, lastModified: meta.lastModified });
    return out;
  });
  await w.settle?.('decisions');
  return r;
}

export interface BlocklistSubscribeResult {
  updated: string[];
  errors: Record<string, string>[];
}

/** Why an entity cannot be subscribed, or null when it can. */
async function refusal(db: Db, type: BlocklistSubscriberType, id: string): Promise<string | null> {
  switch (type) {
    case 'org':
      return null;
    default:
      return entityRefusal(db, type, id);
  }
}

export function isSubscriberType(t: string): t is BlocklistSubscriberType {
  return (BLOCKLIST_SUBSCRIBER_TYPES as readonly string[]).includes(t);
}

/**
 * Subscribes entities with a remediation (the valid ones; the others come back in `errors`, as the console
 * answers). `org` takes no ids and covers the whole instance. When the subscription makes the list served
 * with a decision type it was not served with before, its decisions of that type start in the same transaction.
 */
export async function subscribeBlocklist(
  w: BlocklistWriter,
  id: string,
  type: BlocklistSubscriberType,
  ids: readonly string[],
  remediation: string | null | undefined,
  organizationId: string,
  now = Date.now(),
): Promise<BlocklistSubscribeResult> {
  if (type === 'org' && ids.length > 0) throw new BadRequestError("Organization type subscription can't have ids");
  if (type !== 'org' && ids.length === 0) throw new BadRequestError(`a ${type} subscription needs ids`);
  const rem = remediation ?? DEFAULT_REMEDIATION;
  if (rem.trim() === '' || rem.length > 64) throw new BadRequestError(`remediation must be 1 to 64 characters, got '${rem}'`);
  await requireBlocklist(w.db, id);
  const out: BlocklistSubscribeResult = { updated: [], errors: [] };
  const targets = type === 'org' ? [organizationId] : [...new Set(ids)];
  for (const e of targets) {
    const why = await refusal(w.db, type, e);
    if (why) out.errors.push({ [e]: why });
    else out.updated.push(e);
  }
  if (out.updated.length === 0) return out;
  await inTrx(w.db, async (trx) => {
    const seq = await nextSequence(trx);
    const list = await lockedList(trx, id);
    const before = await servedTypes(trx, list);
    await upsertSubscribers(trx, id, type, out.updated, rem, now);
    await reconcile(trx, list, before, seq, now);
  });
  await w.settle?.('allowlists');
  return out;
}

/** Ends an entity's subscription (of one type, or any); 404 when there was none. */
export async function unsubscribeBlocklist(
  w: BlocklistWriter,
  id: string,
  entityId: string,
  type?: string,
  now = Date.now(),
): Promise<void> {
  await inTrx(w.db, async (trx) => {
    const seq = await nextSequence(trx);
    const list = await lockedList(trx, id);
    const before = await servedTypes(trx, list);
    if ((await deleteSubscribers(trx, id, entityId, type)) === 0)
      throw new NotFoundError(`'${entityId}' is not subscribed to blocklist '${list.name}'`);
    await reconcile(trx, list, before, seq, now);
  });
  await w.settle?.('allowlists');
}

/** Starts the decisions of the types a list is now served with, ends those of the types it no longer is. */
export async function reconcile(
  trx: Transaction<Tables>,
  list: Blocklist,
  before: readonly string[],
  seq: number,
  now: number,
): Promise<void> {
  const after = await servedTypes(trx, list);
  for (const t of before) if (!after.includes(t)) await expireListDecisions(trx, list, { type: t }, seq, now);
  const started = after.filter((t) => !before.includes(t));
  if (started.length === 0) return;
  for await (const page of liveItems(trx, list.id, now)) await insertListDecisions(trx, list.name, page, started, seq, now);
}
