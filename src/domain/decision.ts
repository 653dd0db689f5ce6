import type { IpRange } from './ip-range.js';

/** A decision as the engine holds it. Times are epoch milliseconds. */
export interface Decision {
  id: number;
  uuid: string;
  alertId: number | null;
  /** The change sequence of its latest change (creation or expiry). */
  seq: number;
  createdAt: number;
  until: number;
  scenario: string;
  type: string;
  scope: string;
  value: string;
  origin: string;
  simulated: boolean;
  /** Bounds for `Ip`/`Range` scopes, null for every other scope. */
  range: IpRange | null;
}

/** Origins that come from the central API or blocklists (`include_capi=false` hides them). */
export const CAPI_ORIGINS = new Set(['CAPI', 'lists']);
