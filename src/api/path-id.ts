import { BadRequestError } from '../errors.js';

/**
 * A numeric id from the URL path (`/v1/alerts/:alert_id`), or a 400 `<name> must be valid integer` as
 * upstream words it. Up to 15 digits, so that every accepted id is exact as a JS number (below 2^53).
 */
export function parsePathId(text: string, name: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new BadRequestError(`${name} must be valid integer`);
  return Number(text);
}
