import type { NewAlert } from '../domain/alert.js';
import { formatRange, parseIpOrRange } from '../domain/ip-range.js';

/**
 * The `Alert` profiles see: upstream's models.Alert field names (Go's CamelCase) and its methods
 * (GetScope, GetValue, GetScenario, GetSources, GetEventsCount, GetMeta).
 */
export function alertEnv(a: NewAlert): { Alert: Record<string, unknown> } {
  const source = {
    Scope: a.source.scope,
    Value: a.source.value,
    IP: a.source.ip,
    Range: a.source.range,
    AsName: a.source.asName,
    AsNumber: a.source.asNumber,
    Cn: a.source.country,
    Latitude: a.source.latitude,
    Longitude: a.source.longitude,
  };
  const meta = a.meta.map((m) => ({ Key: m.key, Value: m.value }));
  const Alert = {
    Scenario: a.scenario,
    ScenarioHash: a.scenarioHash,
    ScenarioVersion: a.scenarioVersion,
    Message: a.message,
    EventsCount: a.eventsCount,
    Capacity: a.capacity,
    Leakspeed: a.leakspeed,
    Simulated: a.simulated,
    Remediation: a.remediation,
    Kind: a.kind,
    StartAt: new Date(a.startedAt).toISOString(),
    StopAt: new Date(a.stoppedAt).toISOString(),
    Source: source,
    Events: a.events.map((e) => ({
      Timestamp: new Date(e.timestamp).toISOString(),
      Meta: e.meta.map((m) => ({ Key: m.key, Value: m.value })),
    })),
    Meta: meta,
    Labels: a.labels ?? [],
    Decisions: a.decisions.map((d) => ({ Type: d.type, Scope: d.scope, Value: d.value, Origin: d.origin, Scenario: d.scenario })),
    GetScope: () => a.source.scope,
    GetValue: () => a.source.value,
    GetScenario: () => a.scenario,
    GetEventsCount: () => a.eventsCount,
    /** The source IPs, as upstream: the source IP, or every address of a small range. */
    GetSources: () => sources(a),
    GetMeta: (key: unknown) => a.meta.find((m) => m.key === key)?.value ?? '',
  };
  return { Alert };
}

function sources(a: NewAlert): string[] {
  if (a.source.scope === 'Ip') return [a.source.value];
  if (a.source.scope === 'Range') {
    try {
      return [formatRange(parseIpOrRange(a.source.value))];
    } catch {
      return [];
    }
  }
  return [];
}
