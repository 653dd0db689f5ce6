import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashApiKey, sameHash } from '../../auth/api-key.js';
import { parseDecisionFilter } from '../../domain/decision-filter.js';
import type { Blocklist } from '../../domain/blocklist.js';
import type { Integration } from '../../domain/integration.js';
import { BadRequestError } from '../../errors.js';
import { getBlocklist, requireBlocklist } from '../../store/blocklists.js';
import { integrationSecret, setIntegrationPulled } from '../../store/integrations.js';
import {
  contentChunks,
  contentTag,
  downloadChunks,
  listsOfIntegration,
  mergedRanges,
  peekChunks,
  shapedEntries,
  type ContentSources,
} from '../../usecases/blocklist-content.js';
import { integrationSubject, pullStream } from '../../usecases/pull-stream.js';
import type { AppDeps } from '../deps.js';
import { endpoint, Params, QueryMap } from '../endpoint.js';
import { StreamPump } from '../stream-pump.js';
import { Type } from '@sinclair/typebox';
import type { ResponseDoc } from '../endpoint.js';
import { DecisionStream, decisionQueryFields } from '../schemas/decision.js';
import { ErrorBody } from '../schemas/errors.js';

/** What the text routes (content, download) answer, as sendText sends it. */
const textResponses = (what: string): Record<number, ResponseDoc> => {
  const etag = { ETag: { description: 'The version of what is served: send it back in `If-None-Match`.', schema: Type.String() } };
  return {
    200: {
      description: `${what}, one entry per line (gzipped when \`Accept-Encoding\` allows). HEAD: an empty body.`,
      schema: Type.String(),
      contentType: 'text/plain',
      headers: { ...etag, 'Content-Encoding': { description: '`gzip`, when the client accepts it.', schema: Type.String() } },
    },
    204: { description: 'Nothing to serve.', headers: etag },
    304: { description: '`If-None-Match` names the current version.', headers: etag },
  };
};
const positive = (d: string) => Type.String({ description: `${d} (a positive integer).` });

/**
 * What integrations read, with their own credentials rather than an admin key: a firewall's content (HTTP
 * Basic, text in its output format) and a remediation component's decision stream (an API key, the LAPI
 * stream protocol). Both listeners serve them: firewalls and bouncers reach whichever the user exposes.
 * Also a blocklist's download, on the admin listener.
 */

type Query = Record<string, string | string[] | undefined>;
const one = (q: Query, k: string) => {
  const v = q[k];
  return Array.isArray(v) ? v[v.length - 1] : v;
};

function positiveInt(q: Query, key: string): number | undefined {
  const v = one(q, key);
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1) throw new BadRequestError(`${key}: must be a positive integer, got '${v}'`);
  return Number(v);
}

function bool(q: Query, key: string): boolean | undefined {
  const v = one(q, key);
  if (v === undefined || v === '') return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new BadRequestError(`${key}: must be true or false, got '${v}'`);
}

// a hash compared when the integration does not exist, so that an unknown id costs what a wrong password does
const NOBODY = hashApiKey('lapis: no such integration');

/** The integration whose Basic credentials the request carries, or null (any reason: none is told). */
async function basicAuth(deps: AppDeps, id: string, header: string | undefined): Promise<Integration | null> {
  const m = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return null;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return null;
  const [user, password] = [text.slice(0, colon), text.slice(colon + 1)];
  const found = /^[0-9a-f]{24}$/.test(id) ? await integrationSecret(deps.db, id) : undefined;
  const hashOk = sameHash(hashApiKey(password), found?.secretHash ?? NOBODY);
  const userOk = sameHash(user, found?.integration.username ?? '\u0000');
  return found && hashOk && userOk && found.integration.entityType === 'firewall_integration' ? found.integration : null;
}

/** The remediation-component integration whose API key the request carries, or null. */
async function keyAuth(deps: AppDeps, id: string, key: string | undefined): Promise<Integration | null> {
  if (!key) return null;
  const found = /^[0-9a-f]{24}$/.test(id) ? await integrationSecret(deps.db, id) : undefined;
  const ok = sameHash(hashApiKey(key), found?.secretHash ?? NOBODY);
  return found && ok && found.integration.entityType === 'remediation_component_integration' ? found.integration : null;
}

function sources(deps: AppDeps): ContentSources {
  return { db: deps.db, index: deps.feed.index, lapiFilter: deps.config.admin.lapiFilter };
}

/** Whether an `If-None-Match` names this tag (or `*`). */
function matches(req: FastifyRequest, tag: string): boolean {
  const h = req.headers['if-none-match'];
  if (!h) return false;
  return h
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === tag || t === '*');
}

/** Sends text chunks, gzipped when the client accepts it; 204 when there are none (known before the status line). */
async function sendText(req: FastifyRequest, reply: FastifyReply, chunks: AsyncGenerator<string>, tag: string): Promise<FastifyReply> {
  reply.header('ETag', tag).header('Cache-Control', 'no-cache');
  const { first, rest } = await peekChunks(chunks);
  if (first === null) {
    await rest.return(undefined);
    return reply.code(204).send();
  }
  reply.type('text/plain; charset=utf-8');
  if (req.method === 'HEAD') {
    await rest.return(undefined);
    return reply.code(200).send('');
  }
  async function* all() {
    yield first!;
    yield* rest;
  }
  const body = Readable.from(all(), { objectMode: false, highWaterMark: 1 });
  if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    reply.header('Content-Encoding', 'gzip').header('Vary', 'Accept-Encoding');
    return reply.code(200).send(body.pipe(createGzip()));
  }
  return reply.code(200).send(body);
}

export function integrationContentEndpoints(deps: AppDeps) {
  const pump = new StreamPump();
  return {
    /** `GET|HEAD /v1/integrations/{id}/content`: a firewall's pull. */
    content: endpoint({
      schema: { params: Params('id'), querystring: QueryMap },
      doc: {
        summary: "A firewall integration's blocklists, as text in its output format",
        query: Type.Partial(
          Type.Object({
            page: positive('The page, from 1 (with `page_size`)'),
            page_size: positive('Entries per page (default: all)'),
            pull_limit: positive("At most this many entries (default: the integration's)"),
            enable_ip_aggregation: Type.String({
              description: "`true`/`false` (or 1/0): merge adjacent ranges (default: the integration's).",
            }),
          }),
        ),
        responses: {
          ...textResponses('The entries'),
          400: { description: 'A malformed paging or aggregation parameter.', schema: ErrorBody },
        },
      },
      handler: async (req, reply) => {
        const integration = await basicAuth(deps, req.params.id, req.headers.authorization);
        if (!integration)
          return reply.code(401).header('WWW-Authenticate', 'Basic realm="lapis", charset="UTF-8"').send({ message: 'Unauthorized' });
        const page = positiveInt(req.query, 'page') ?? 1;
        const pageSize = positiveInt(req.query, 'page_size') ?? null;
        const pullLimit = positiveInt(req.query, 'pull_limit') ?? integration.pullLimit;
        const aggregate = bool(req.query, 'enable_ip_aggregation') ?? integration.enableIpAggregation;
        const now = Date.now();
        const ids = listsOfIntegration(deps.allowlists.current, integration.id);
        const lists = (await Promise.all([...ids].map((id) => getBlocklist(deps.db, id)))).filter((l): l is Blocklist => l !== undefined);
        // `last_pull` to the minute, as bouncers' (a device polling its ETag costs no write)
        if (integration.lastPull === null || now - integration.lastPull >= 60_000) await setIntegrationPulled(deps.db, integration.id, now);
        if (lists.length === 0) return reply.code(204).send();
        const view = deps.allowlists.viewFor({ kind: 'integration', name: integration.id }, now);
        const shape = { f: integration.outputFormat, n: integration.name, page, pageSize, pullLimit, aggregate };
        const src = sources(deps);
        const tag = await contentTag(
          { ...src, decisionsSeq: deps.feed.servedSeq, allowlistsVersion: deps.allowlists.servedVersion },
          lists,
          shape,
          now,
        );
        if (matches(req, tag)) return reply.code(304).header('ETag', tag).send();
        const entries = shapedEntries(mergedRanges(src, lists, now), { allow: view?.ranges ?? null, aggregate, limit: pullLimit });
        return sendText(req, reply, contentChunks(entries, integration.outputFormat, integration.name, { page, size: pageSize }), tag);
      },
    }),

    /** `GET /v1/integrations/{id}/v1/decisions/stream`: a remediation component reading its lists as a bouncer would. */
    stream: endpoint({
      schema: { params: Params('id'), querystring: QueryMap },
      doc: {
        summary: "A remediation-component integration's blocklists, as the LAPI decision stream",
        description: 'As `GET /v1/decisions/stream` on the Local API, for the lists the integration subscribes to.',
        query: Type.Partial(Type.Object({ startup: Type.String({ description: '`true`: a full snapshot.' }), ...decisionQueryFields })),
        responses: {
          200: { description: 'New and deleted decisions. HEAD: the key is good, `text/plain` and an empty body.', schema: DecisionStream },
          400: { description: 'A malformed `ip`, `range` or `contains`.', schema: ErrorBody },
        },
      },
      handler: async (req, reply) => {
        const key = req.headers['x-api-key'];
        const integration = await keyAuth(deps, req.params.id, Array.isArray(key) ? key[0] : key);
        if (!integration) return reply.code(403).send({ message: 'access forbidden' });
        if (req.method === 'HEAD') return reply.code(200).type('text/plain; charset=utf-8').send('');
        const filter = parseDecisionFilter(req.query, ['ip', 'range']);
        const out = await pullStream(deps, integrationSubject(integration.id), filter, req.query.startup === 'true');
        return reply.type('application/json').send(pump.readable(out.body()));
      },
    }),

    /** `GET|HEAD /v1/blocklists/{id}/download` (admin key): a list's items, one per line. */
    download: endpoint({
      schema: { params: Params('id'), querystring: QueryMap },
      doc: {
        summary: "A blocklist's items, one per line",
        responses: { ...textResponses("The list's live items"), 404: { description: 'No blocklist has this id.', schema: ErrorBody } },
      },
      handler: async (req, reply) => {
        const list = await requireBlocklist(deps.db, req.params.id);
        const now = Date.now();
        const src = sources(deps);
        const tag = await contentTag({ ...src, decisionsSeq: deps.feed.servedSeq, allowlistsVersion: 0 }, [list], 'download', now);
        if (matches(req, tag)) return reply.code(304).header('ETag', tag).send();
        return sendText(req, reply, downloadChunks(src, list, now), tag);
      },
    }),
  };
}
