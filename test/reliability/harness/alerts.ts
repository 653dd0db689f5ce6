import { cscliAlert } from '../../helpers/actors.js';

/** One decision an alert carries, as sent. */
export interface PlannedDecision {
  value: string;
  scope: 'Ip' | 'Range';
  type: string;
  duration: string;
}

/** What was sent for one alert: its source value (unique per alert in these suites) and its decisions. */
export interface PlannedAlert {
  source: string;
  decisions: PlannedDecision[];
}

/** An alert as an agent pushes it with its decisions (so profiles and allowlists keep it as sent); the source is the first decision's value. */
export function alertBody(p: PlannedAlert, origin = 'cscli'): ReturnType<typeof cscliAlert> {
  const first = p.decisions[0]!;
  const alert = cscliAlert(p.source, { scope: first.scope, origin, scenario: 'lapis/reliability' });
  alert.decisions = p.decisions.map((d) => ({
    ...alert.decisions[0]!,
    value: d.value,
    scope: d.scope,
    type: d.type,
    duration: d.duration,
  }));
  return alert;
}

export function pick<T>(list: readonly T[]): T {
  return list[Math.floor(Math.random() * list.length)]!;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
