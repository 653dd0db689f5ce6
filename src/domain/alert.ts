import type { Decision } from './decision.js';
import type { IpRange } from './ip-range.js';

export interface MetaItem {
  key: string;
  value: string;
}

export interface AlertEvent {
  /** Epoch milliseconds; an unparsable timestamp was stored as the ingestion time, as upstream. */
  timestamp: number;
  meta: MetaItem[];
}

export interface AlertSource {
  scope: string;
  value: string;
  ip: string;
  range: string;
  asNumber: string;
  asName: string;
  country: string;
  latitude: number;
  longitude: number;
}

/** A decision about to be stored with its alert. */
export interface NewDecision {
  type: string;
  scope: string;
  value: string;
  origin: string;
  scenario: string;
  until: number;
  simulated: boolean;
  range: IpRange | null;
}

/** An alert as received, normalised and validated. */
export interface NewAlert {
  scenario: string;
  scenarioHash: string;
  scenarioVersion: string;
  message: string;
  eventsCount: number;
  startedAt: number;
  stoppedAt: number;
  capacity: number;
  leakspeed: string;
  simulated: boolean;
  remediation: boolean;
  kind: string;
  source: AlertSource;
  events: AlertEvent[];
  meta: MetaItem[];
  labels: string[] | null;
  decisions: NewDecision[];
}

/** A stored alert. */
export interface Alert extends Omit<NewAlert, 'decisions'> {
  id: number;
  uuid: string;
  /** The owner's machine id, or null when the machine was deleted. */
  machineId: string | null;
  createdAt: number;
  /** Null when the search asked for alerts without their decisions. */
  decisions: Decision[] | null;
}

/** As upstream: meta keys are cut to 255 characters and values to 4095. */
export function truncateMeta(items: MetaItem[]): MetaItem[] {
  return items.map((m) => ({ key: m.key.slice(0, 255), value: m.value.slice(0, 4095) }));
}
