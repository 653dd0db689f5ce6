import { BadRequestError } from '../errors.js';

/** The admin API's pages (the console's Service API): `page` from 1, `size` from 1 to 1000, 50 by default. */
export const MAX_PAGE_SIZE = 1000;

export interface PageRequest {
  page: number;
  size: number;
  offset: number;
}

function positiveInt(q: Record<string, unknown>, name: string, fallback: number, max: number): number {
  const raw = q[name];
  if (raw === undefined) return fallback;
  const text = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (typeof text !== 'string' || !/^\d{1,9}$/.test(text))
    throw new BadRequestError(`${name} must be an integer between 1 and ${max}, got '${String(text)}'`);
  const n = Number(text);
  if (n < 1 || n > max) throw new BadRequestError(`${name} must be an integer between 1 and ${max}, got '${text}'`);
  return n;
}

export function parsePage(query: unknown): PageRequest {
  const q = (query ?? {}) as Record<string, unknown>;
  const page = positiveInt(q, 'page', 1, 1_000_000_000);
  const size = positiveInt(q, 'size', 50, MAX_PAGE_SIZE);
  return { page, size, offset: (page - 1) * size };
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  size: number;
  pages: number;
  links: { first: string; last: string; self: string; next: string | null; prev: string | null };
}

/** The envelope, with links shaped as the seed's (`self` names `page` first, the others `size` first). */
export function pageOf<T>(path: string, items: T[], total: number, p: PageRequest): Page<T> {
  const pages = Math.ceil(total / p.size);
  const at = (n: number) => `${path}?size=${p.size}&page=${n}`;
  return {
    items,
    total,
    page: p.page,
    size: p.size,
    pages,
    links: {
      first: at(1),
      last: at(Math.max(pages, 1)),
      self: `${path}?page=${p.page}&size=${p.size}`,
      next: p.page < pages ? at(p.page + 1) : null,
      prev: p.page > 1 ? at(Math.min(p.page - 1, Math.max(pages, 1))) : null,
    },
  };
}

/** A boolean query parameter: absent or `false`, `true`; anything else a 400 naming it. */
export function booleanQuery(q: Record<string, string | string[]>, name: string): boolean {
  const v = q[name];
  if (v === undefined || v === 'false') return false;
  if (v === 'true') return true;
  throw new BadRequestError(`${name} must be true or false, got '${String(v)}'`);
}
