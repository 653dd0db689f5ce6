// What the benchmark sends to the Local API: the credentials it creates, the IPs it bans, and the few
// plain requests (login, one query, one stream pull) that check answers between the load phases.
import { fmt, log, type Pull } from './report.js';

export const UA = 'lapis-bench/1.0';
export const PASSWORD = 'bench-password-0123456789';
export const QUERY_KEY = 'bench-query-key-0123456789abcdef';
export const STREAM_KEY = 'bench-stream-key-0123456789abcdef';
export const STREAM_KEY_2 = 'bench-stream-key-2-0123456789abcdef';

/** Loaded IPs count up from 10.0.0.1; ingested ones from 10.128.0.0, so the two never meet. */
export const MAX_DECISIONS = 0x7f_ffff;
export const ip4 = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const LOADED_BASE = (10 << 24) >>> 0;
export const INGEST_BASE = ((10 << 24) | (128 << 16)) >>> 0;
/** The k-th loaded IP, k from 1 to N: 10.0.0.1 upward. */
export const loadedIp = (k: number) => ip4(LOADED_BASE + k);

export async function http(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 30_000) });
}

export async function login(base: string): Promise<string> {
  const res = await http(`${base}/v1/watchers/login`, {
    method: 'POST',
    headers: { 'user-agent': UA, 'content-type': 'application/json' },
    body: JSON.stringify({ machine_id: 'bench', password: PASSWORD }),
  });
  const body = (await res.json()) as { token?: string; message?: string };
  if (res.status !== 200 || !body.token) throw new Error(`login: ${res.status} ${body.message ?? ''}`);
  return body.token;
}

/** GET /v1/decisions?ip= as the query bouncer; the parsed body. */
export async function query(base: string, ip: string): Promise<unknown> {
  const res = await http(`${base}/v1/decisions?ip=${ip}`, { headers: { 'x-api-key': QUERY_KEY, 'user-agent': UA } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /v1/decisions?ip=${ip}: ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as unknown;
}

/** What a banned IP's answer must be: an array holding a ban on that IP. */
export function holdsBan(body: unknown, ip: string): boolean {
  return (
    Array.isArray(body) &&
    body.some((d: { value?: unknown; type?: unknown; scope?: unknown }) => d.value === ip && d.type === 'ban' && d.scope === 'Ip')
  );
}

/** GET /v1/decisions/stream?startup=true, timed to the last byte of the body. */
export async function fetchStartup(base: string, key: string): Promise<{ seconds: number; ttfb: number; raw: Buffer }> {
  const t0 = performance.now();
  const res = await http(`${base}/v1/decisions/stream?startup=true`, {
    headers: { 'x-api-key': key, 'user-agent': UA },
    timeoutMs: 300_000,
  });
  const ttfb = (performance.now() - t0) / 1000;
  const raw = Buffer.from(await res.arrayBuffer());
  const seconds = (performance.now() - t0) / 1000;
  if (res.status !== 200) throw new Error(`stream startup: ${res.status} ${raw.toString('utf8', 0, 200)}`);
  return { seconds, ttfb, raw };
}

/** Counts what a startup pull returned. */
export function checkPull({ seconds, ttfb, raw }: { seconds: number; ttfb: number; raw: Buffer }): Pull {
  const body = JSON.parse(raw.toString('utf8')) as { new: unknown[] | null; deleted: unknown[] | null };
  const pull = { seconds, ttfb, bytes: raw.length, fresh: body.new?.length ?? 0, deleted: body.deleted?.length ?? 0 };
  log(
    `  ${seconds.toFixed(3)} s (first byte ${ttfb.toFixed(3)} s), ${fmt(pull.bytes)} bytes, ${fmt(pull.fresh)} new, ${pull.deleted} deleted`,
  );
  return pull;
}
