import type { Alert, AlertEvent, MetaItem } from '../domain/alert.js';
import type { Decision } from '../domain/decision.js';
import { remainingDuration } from '../domain/duration.js';
import { goString, goTimeString, rfc3339, rfc3339Local } from '../go-format.js';

/**
 * Domain → wire. Upstream's formatting quirks live here and nowhere else; the Go text forms they use
 * (RFC 3339, Time.String(), Go's JSON escaping) are in `../go-format.ts`.
 */

/** The login and refresh answer: keys in Go's map order. */
export function tokenResponse(token: string, expS: number): { code: number; expire: string; token: string } {
  return { code: 200, expire: rfc3339Local(expS * 1000), token };
}

/** A decision as bouncers receive it (pkg/models/decision.go); the stream adds `uuid`. Keys in Go's order. */
export function bouncerDecision(d: Decision, now: number, withUuid: boolean): string {
  return (
    `{"duration":"${remainingDuration(d.until, now)}","id":${d.id},"origin":${goString(d.origin)},"scenario":${goString(d.scenario)}` +
    `,"scope":${goString(d.scope)},"type":${goString(d.type)}${withUuid ? `,"uuid":${goString(d.uuid)}` : ''},"value":${goString(d.value)}}`
  );
}

/** A JSON array of bouncer decisions, or `null` when empty (as upstream). */
export function bouncerDecisionList(list: Decision[], now: number, withUuid: boolean): string {
  if (list.length === 0) return 'null';
  const parts = new Array<string>(list.length);
  for (let i = 0; i < list.length; i++) parts[i] = bouncerDecision(list[i]!, now, withUuid);
  return `[${parts.join(',')}]`;
}

/** The stream body: upstream writes it by hand, separators with a space after `:` and `,`. */
export function streamBody(news: Decision[], deleted: Decision[], now: number): string {
  return [...streamBodyChunks(news, deleted, now)].join('');
}

/** Decisions per chunk of a streamed body: about 150 KiB, written as soon as it is built. */
const STREAM_CHUNK = 1000;

/**
 * The stream body in chunks, so that a startup pull of a million decisions never holds the whole
 * body (and its pieces) in memory at once; it goes out chunked, as upstream's does.
 */
export function* streamBodyChunks(news: Decision[], deleted: Decision[], now: number): Generator<string> {
  yield '{"new": ';
  yield* listChunks(news, now);
  yield ', "deleted": ';
  yield* listChunks(deleted, now);
  yield '}';
}

function* listChunks(list: Decision[], now: number): Generator<string> {
  if (list.length === 0) {
    yield 'null';
    return;
  }
  for (let i = 0; i < list.length; i += STREAM_CHUNK) {
    const end = Math.min(i + STREAM_CHUNK, list.length);
    let chunk = i === 0 ? '[' : ',';
    for (let j = i; j < end; j++) chunk += (j === i ? '' : ',') + bouncerDecision(list[j]!, now, true);
    yield end === list.length ? `${chunk}]` : chunk;
  }
}

function metaWire(items: MetaItem[]) {
  return items.map((m) => ({ ...(m.key ? { key: m.key } : {}), ...(m.value ? { value: m.value } : {}) }));
}

function eventWire(e: AlertEvent) {
  return { meta: metaWire(e.meta), timestamp: goTimeString(e.timestamp) };
}

/** A decision inside an alert: `simulated` copied from it, no `uuid`, keys in Go's order. */
function alertDecisionWire(d: Decision, now: number) {
  return {
    duration: remainingDuration(d.until, now),
    id: d.id,
    origin: d.origin,
    scenario: d.scenario,
    scope: d.scope,
    simulated: d.simulated,
    type: d.type,
    value: d.value,
  };
}

/** An alert as the alert routes return it (pkg/models/alert.go, as pkg/apiserver/controllers/v1/alerts.go FormatAlerts): keys alphabetical, upstream's omissions and nulls. */
export function alertWire(a: Alert, now: number): Record<string, unknown> {
  const s = a.source;
  return {
    capacity: a.capacity,
    created_at: rfc3339(a.createdAt),
    decisions: a.decisions && a.decisions.length > 0 ? a.decisions.map((d) => alertDecisionWire(d, now)) : null,
    events: a.events.length > 0 ? a.events.map(eventWire) : null,
    events_count: a.eventsCount,
    id: a.id,
    ...(a.kind ? { kind: a.kind } : {}),
    labels: a.labels && a.labels.length > 0 ? a.labels : null,
    leakspeed: a.leakspeed,
    machine_id: a.machineId ?? 'N/A',
    message: a.message,
    ...(a.meta.length > 0 ? { meta: metaWire(a.meta) } : {}),
    ...(a.remediation ? { remediation: true } : {}),
    scenario: a.scenario,
    scenario_hash: a.scenarioHash,
    scenario_version: a.scenarioVersion,
    simulated: a.simulated,
    source: {
      ...(s.asName ? { as_name: s.asName } : {}),
      ...(s.asNumber ? { as_number: s.asNumber } : {}),
      ...(s.country ? { cn: s.country } : {}),
      ...(s.ip ? { ip: s.ip } : {}),
      ...(s.latitude ? { latitude: s.latitude } : {}),
      ...(s.longitude ? { longitude: s.longitude } : {}),
      ...(s.range ? { range: s.range } : {}),
      scope: s.scope,
      value: s.value,
    },
    start_at: rfc3339(a.startedAt),
    stop_at: rfc3339(a.stoppedAt),
    uuid: a.uuid,
  };
}
